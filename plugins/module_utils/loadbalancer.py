# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""The nginx load balancer's arithmetic: upstream servers, weights, checks.

Everything here reads the inventory (``groups`` and ``hostvars``) and returns
plain data the ``nginx_lb`` role renders; no I/O. The same functions back the
filters in ``plugins/filter/loadbalancer.py`` and are unit tested.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scaleout.webstack.plugins.module_utils import app, topology

APP_GROUP = "app"
DEFAULT_APP_PORT = 3000
DEFAULT_MAX_WEIGHT_FALLBACK = 2

BALANCING_METHODS = ("least_conn", "round_robin", "hash", "ip_hash")
STICKY_METHODS = ("hash", "ip_hash")

_ZONE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RATE = re.compile(r"^[1-9][0-9]*r/[sm]$")
_SIZE = re.compile(r"^[1-9][0-9]*[kKmM]?$")
_PATH = re.compile(r"^/[^\s;{}'\"]*$")
# Locations the role renders itself; a rate limit may name them too.
SOCKETIO_PATH = "/socket.io/"
ROOT_PATH = "/"


def _hv(hostvars, host):
    if hasattr(hostvars, "get"):
        found = hostvars.get(host)
        return found if found is not None else {}
    return hostvars[host]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value):
    """An int from an int or a string of digits, else None (booleans are not ints)."""
    if _is_int(value):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def workers_error(value, host, vcpus=None):
    """A message if ``app_workers`` is not an integer >= 1 or ``max``, else None.

    The app tier's check (same messages); an unset ``app_workers`` means 1,
    as on the app nodes.
    """
    return app.workers_error(1 if value is None else value, host, vcpus)


def vcpus(hv):
    """The host's vCPU count from gathered facts, or None without facts."""
    facts = hv.get("ansible_facts") or {}
    for value in (hv.get("ansible_processor_vcpus"), facts.get("processor_vcpus")):
        number = _as_int(value)
        if number and number >= 1:
            return number
    return None


def node_weight(hv, max_weight_fallback=DEFAULT_MAX_WEIGHT_FALLBACK):
    """The LB weight of one app node: its worker count.

    ``app_workers: max`` means one worker per vCPU, read from the node's facts;
    without facts the fallback is used. Invalid values raise ValueError (the
    preflight reports them first, with the host name).
    """
    value = hv.get("app_workers", 1)
    if isinstance(value, str) and value.strip() == "max":
        return vcpus(hv) or int(max_weight_fallback)
    number = _as_int(value)
    if number is None or number < 1:
        raise ValueError("app_workers must be an integer >= 1 or 'max', got %r" % (value,))
    return number


def app_port(hv, default=DEFAULT_APP_PORT):
    """The port an app node listens on: ``app_node_port`` (the app_node role's variable)."""
    number = _as_int(hv.get("app_node_port", default))
    return number if number else default


def upstream_servers(hostvars, groups, drained=(), group=APP_GROUP,
                     default_port=DEFAULT_APP_PORT,
                     max_weight_fallback=DEFAULT_MAX_WEIGHT_FALLBACK):
    """One entry per app node, in inventory order.

    Returns a list of ``{host, address, port, weight, down}``; ``down`` is
    true for hosts listed in ``drained``.
    """
    drained = set(drained or ())
    servers = []
    for host in groups.get(group) or []:
        hv = _hv(hostvars, host)
        servers.append({
            "host": host,
            "address": topology.private_address(hostvars, host),
            "port": app_port(hv, default_port),
            "weight": node_weight(hv, max_weight_fallback),
            "down": host in drained,
        })
    return servers


def drained_set(current, nodes=(), action="drain", known=None):
    """The new drained list (sorted, unique) after draining or undraining ``nodes``.

    ``action`` is ``drain``, ``undrain`` or ``keep`` (a converge); ``known``,
    if given, is the list of current app hosts: drained names no longer in it
    are dropped.
    """
    result = set(current or ())
    nodes = set(nodes or ())
    if action == "drain":
        result |= nodes
    elif action == "undrain":
        result -= nodes
    elif action == "undrain_all":
        result = set()
    elif action != "keep":
        raise ValueError("unknown drain action %r" % (action,))
    if known is not None:
        result &= set(known)
    return sorted(result)


def drain_errors(nodes, known, current=(), action="drain", allow_all_down=False):
    """Messages for a drain or undrain request that cannot be done safely."""
    errors = []
    if isinstance(nodes, str) or not isinstance(nodes, (list, tuple, set)):
        return ["nginx_lb_nodes must be a list of inventory hostnames of app nodes, got %r" % (nodes,)]
    if not nodes:
        errors.append("nginx_lb_nodes is empty; name the app nodes to %s" % action)
    known = list(known or [])
    for node in nodes:
        if node not in known:
            errors.append("nginx_lb_nodes: %s is not in the load balancer's upstream (app nodes: %s)"
                          % (node, ", ".join(known) or "none"))
    if action == "drain" and not errors and not allow_all_down:
        after = drained_set(current, nodes, "drain", known)
        if known and len(after) >= len(known):
            errors.append("nginx_lb_nodes: draining %s would leave no app node serving (drained: %s); "
                          "set nginx_lb_allow_drain_all: true to do it anyway"
                          % (", ".join(sorted(nodes)), ", ".join(after)))
    return errors


def _rate_limit_errors(rate_limits):
    errors = []
    if rate_limits is None:
        return errors
    if not isinstance(rate_limits, (list, tuple)):
        return ["nginx_lb_rate_limits must be a list of {name, rate, burst, locations}"]
    seen = set()
    for index, entry in enumerate(rate_limits):
        where = "nginx_lb_rate_limits[%d]" % index
        if not isinstance(entry, dict):
            errors.append("%s must be a mapping with name, rate, burst and locations" % where)
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not _ZONE_NAME.match(name):
            errors.append("%s.name is %r; use letters, digits and _ (a zone name)" % (where, name))
        elif name in seen:
            errors.append("%s.name %r is used twice" % (where, name))
        else:
            seen.add(name)
        rate = entry.get("rate")
        if not isinstance(rate, str) or not _RATE.match(rate):
            errors.append("%s.rate is %r; use N r/s or N r/m, e.g. '10r/s'" % (where, rate))
        burst = _as_int(entry.get("burst", 0))
        if burst is None or burst < 0:
            errors.append("%s.burst is %r; use an integer >= 0" % (where, entry.get("burst")))
        size = entry.get("size", "10m")
        if not isinstance(size, str) or not _SIZE.match(size):
            errors.append("%s.size is %r; use an nginx size such as '10m'" % (where, size))
        if "nodelay" in entry and not isinstance(entry["nodelay"], bool):
            errors.append("%s.nodelay must be true or false" % where)
        locations = entry.get("locations")
        if not isinstance(locations, (list, tuple)) or not locations:
            errors.append("%s.locations must be a non-empty list of paths such as '/api/'" % where)
            continue
        for path in locations:
            if not isinstance(path, str) or not _PATH.match(path):
                errors.append("%s.locations has %r; a path starts with / and has no spaces, quotes, ; or braces"
                              % (where, path))
    return errors


# What preflight reads of each LB's variables when the role does not pass
# its own values: the role's defaults.
LB_DEFAULTS = {
    "nginx_lb_balancing": "least_conn",
    "nginx_lb_hash_key": "$remote_addr",
    "nginx_lb_tls_self_signed": False,
    "nginx_lb_tls_cert_src": "",
    "nginx_lb_tls_key_src": "",
    "nginx_lb_rate_limits": [],
}


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def _settings_errors(settings, app_hosts, polling_hosts):
    """Errors of one LB's settings; each message starts with the variable name."""
    errors = []
    balancing = settings["nginx_lb_balancing"]
    if balancing not in BALANCING_METHODS:
        errors.append("nginx_lb_balancing is %r; it must be one of %s" % (balancing, ", ".join(BALANCING_METHODS)))
    elif balancing == "hash":
        key = settings["nginx_lb_hash_key"]
        if not isinstance(key, str) or not key.strip():
            errors.append("nginx_lb_hash_key is empty; hash balancing needs a key such as $remote_addr or $cookie_NAME")
    if len(app_hosts) > 1 and polling_hosts and balancing in BALANCING_METHODS and balancing not in STICKY_METHODS:
        errors.append(
            "nginx_lb_balancing is %r but Socket.IO long-polling is enabled (app_socketio_polling, host %s) "
            "with %d app nodes; polling requests of one client must reach the same node: set "
            "nginx_lb_balancing to hash or ip_hash, or app_socketio_polling: false (WebSocket only)"
            % (balancing, polling_hosts[0], len(app_hosts)))
    if not _truthy(settings["nginx_lb_tls_self_signed"]):
        for name in ("nginx_lb_tls_cert_src", "nginx_lb_tls_key_src"):
            if not settings[name]:
                errors.append("%s is not set; give the certificate files on the controller "
                              "or set nginx_lb_tls_self_signed: true" % name)
    errors.extend(_rate_limit_errors(settings["nginx_lb_rate_limits"]))
    return errors


def _with_hosts(message, hosts):
    """Put "(host a, b)" after the variable name a message starts with."""
    name, _sep, rest = message.partition(" ")
    return "%s (host%s %s) %s" % (name, "s" if len(hosts) > 1 else "", ", ".join(hosts), rest)


def lb_errors(hostvars, groups, balancing=None, socketio_polling=None,
              tls_self_signed=None, tls_cert_src=None, tls_key_src=None,
              rate_limits=None, hash_key=None, check_workers=True,
              group=APP_GROUP, lb_group="lb"):
    """Everything wrong with the inventory for the load balancer, one message each.

    Without keyword settings (``playbooks/preflight.yml``), each LB's
    ``nginx_lb_*`` variables are read from ``hostvars`` (role defaults when
    unset) and a problem names the LB hosts that have it. The role passes its
    own values instead (given settings are checked once). ``socketio_polling``
    None means: read ``app_socketio_polling`` of each app host (default true).
    ``check_workers`` false leaves ``app_workers`` to the app tier's check.
    """
    errors = []
    hosts = list(groups.get(group) or [])
    if not hosts:
        errors.append("group '%s' is empty or missing; the load balancer needs at least one app node" % group)
    for host in hosts:
        hv = _hv(hostvars, host)
        if check_workers:
            error = workers_error(hv.get("app_workers"), host)
            if error:
                errors.append(error)
        port = hv.get("app_node_port", DEFAULT_APP_PORT)
        number = _as_int(port)
        if number is None or not 1 <= number <= 65535:
            errors.append("app_node_port (host %s) is %r; it must be a port number 1-65535" % (host, port))
    if socketio_polling is None:
        polling_hosts = [h for h in hosts if _truthy(_hv(hostvars, h).get("app_socketio_polling", True))]
    else:
        polling_hosts = hosts if _truthy(socketio_polling) else []

    given = {
        "nginx_lb_balancing": balancing, "nginx_lb_hash_key": hash_key,
        "nginx_lb_tls_self_signed": tls_self_signed, "nginx_lb_tls_cert_src": tls_cert_src,
        "nginx_lb_tls_key_src": tls_key_src, "nginx_lb_rate_limits": rate_limits,
    }
    if any(value is not None for value in given.values()):
        settings = dict(LB_DEFAULTS)
        settings.update((k, v) for k, v in given.items() if v is not None)
        return errors + _settings_errors(settings, hosts, polling_hosts)

    by_message = {}
    for lb in groups.get(lb_group) or []:
        hv = _hv(hostvars, lb)
        settings = dict((k, hv.get(k, default)) for k, default in LB_DEFAULTS.items())
        for message in _settings_errors(settings, hosts, polling_hosts):
            by_message.setdefault(message, []).append(lb)
    errors.extend(_with_hosts(message, lbs) for message, lbs in by_message.items())
    return errors


def locations(rate_limits=None):
    """The proxied locations to render, each with the rate limits that apply.

    Always ``/`` and ``/socket.io/`` (WebSocket upgrade); plus one per path
    named by a rate limit. Sorted by path for a stable configuration.
    """
    found = {ROOT_PATH: [], SOCKETIO_PATH: []}
    for entry in rate_limits or []:
        limit = {
            "zone": entry["name"],
            "burst": int(entry.get("burst", 0)),
            "nodelay": bool(entry.get("nodelay", True)),
        }
        for path in entry["locations"]:
            found.setdefault(path, []).append(limit)
    return [
        {"path": path, "websocket": path.startswith(SOCKETIO_PATH), "limits": found[path]}
        for path in sorted(found)
    ]
