# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Decisions for the Redis tier: who is master now, quorum, maxmemory, ACLs.

The roles `redis` and `redis_sentinel` and the whole-stack preflight use these
through the filters in plugins/filter/redis.py. Everything here is pure: it
takes what the inventory and the running servers said and returns a value.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

DEFAULT_PORT = 6379
DEFAULT_SENTINEL_PORT = 26379
DEFAULT_MASTER_NAME = "webstack"
DEFAULT_APP_USER = "webstack"
DEFAULT_MAXMEMORY_FRACTION = 0.25
MIN_MAXMEMORY = 64 * 1024 * 1024

# What the app user may run: everything except @dangerous, then back the
# harmless read-only commands that clients need and @dangerous contains:
# INFO (ioredis' ready check, and its role check through Sentinel) and ROLE
# (Sentinel-aware clients verify that they reached the master).
# Pub/sub (PUBLISH, SUBSCRIBE, PSUBSCRIBE, PUBSUB) and CLIENT SETNAME /
# SETINFO are not in @dangerous, so the app keeps them.
APP_USER_RULES = ("~*", "&*", "+@all", "-@dangerous", "+info", "+role")
# The default user: replication (masterauth), Sentinel (auth-pass) and admins.
DEFAULT_USER_RULES = ("~*", "&*", "+@all")

_MEMORY_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3, "gb": 1024 ** 3,
}
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


# -- sizes ---------------------------------------------------------------------
def parse_memory(value):
    """Bytes from an int or a Redis memory string (``"256mb"``, ``"1gb"``, ``"1000000"``)."""
    if isinstance(value, bool):
        raise ValueError("memory size must be a number or a string like 256mb, not %r" % (value,))
    if isinstance(value, int):
        if value < 0:
            raise ValueError("memory size must not be negative")
        return value
    match = re.match(r"^\s*(\d+)\s*([a-zA-Z]*)\s*$", str(value))
    if not match or match.group(2).lower() not in _MEMORY_UNITS:
        raise ValueError("memory size %r is not a number or a string like 256mb or 2gb" % (value,))
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()]


def maxmemory_bytes(memtotal_mb, override=None, fraction=DEFAULT_MAXMEMORY_FRACTION):
    """The ``maxmemory`` in bytes: ``override`` when set, else ``fraction`` of RAM.

    The result is rounded down to a whole MiB (Redis prints it as NNNmb) and
    is never below 64 MiB, so a tiny test container still gets a usable cache.
    """
    if override not in (None, "", 0, "0"):
        return parse_memory(override)
    if memtotal_mb is None:
        raise ValueError("ansible_memtotal_mb is unknown: gather facts or set redis_maxmemory")
    wanted = int(int(memtotal_mb) * fraction) * 1024 * 1024
    return max(wanted, MIN_MAXMEMORY)


def quorum(sentinel_count):
    """A majority of the Sentinels: 3 -> 2, 5 -> 3."""
    return int(sentinel_count) // 2 + 1


# -- ACLs ----------------------------------------------------------------------
def acl_line(user, password, rules):
    """One line of a Redis ACL file; the password is stored as its SHA-256."""
    if not _USERNAME_RE.match(str(user)):
        raise ValueError("ACL user name %r must be 1-64 letters, digits, '.', '_' or '-'" % (user,))
    digest = hashlib.sha256(str(password).encode("utf-8")).hexdigest()
    return " ".join(["user", str(user), "on", "#" + digest] + list(rules))


# -- who is master now ---------------------------------------------------------
def parse_master_answer(answer):
    """``(address, port)`` from the output of ``SENTINEL get-master-addr-by-name``.

    ``answer`` is the raw redis-cli output (two lines), a two-item list, or
    None/empty when the Sentinel did not answer or does not know the master.
    """
    if not answer:
        return None
    if isinstance(answer, (list, tuple)):
        parts = [str(p) for p in answer]
    else:
        parts = str(answer).split()
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def current_master(sentinel_answers, redis_hosts, addresses, node_infos=None, port=DEFAULT_PORT):
    """Decide which node is the master now.

    ``sentinel_answers``: one raw answer per Sentinel asked (see
    :func:`parse_master_answer`). ``redis_hosts``: the inventory's redis
    group, in order. ``addresses``: inventory host -> private address.
    ``node_infos``: inventory host -> ``{"role": ..., "connected_slaves": ...}``
    from the running nodes (None for a node that did not answer).

    Precedence: a majority of the Sentinels that know the master; else the
    one running node that is a master with replicas; else the first host of
    the inventory (a new cluster). Returns a dict with ``host`` (inventory
    name, or None when Sentinel names an address outside the inventory),
    ``address``, ``port`` and ``source``.
    """
    if not redis_hosts:
        raise ValueError("the redis group is empty")
    by_address = dict((str(addresses[h]), h) for h in redis_hosts)
    known = [a for a in (parse_master_answer(x) for x in sentinel_answers or []) if a]
    if known:
        counts = {}
        for addr in known:
            counts[addr] = counts.get(addr, 0) + 1
        best = max(counts.values())
        leaders = sorted(a for a, n in counts.items() if n == best)
        if len(leaders) > 1 or best * 2 <= len(known):
            raise ValueError(
                "the Sentinels disagree about the master (%s); wait for the failover to finish and run again"
                % ", ".join("%s:%d x%d" % (a[0], a[1], counts[a]) for a in sorted(counts)))
        address, master_port = leaders[0]
        return {"host": by_address.get(address), "address": address, "port": master_port, "source": "sentinel"}
    masters = [h for h in redis_hosts
               if (node_infos or {}).get(h) and node_infos[h].get("role") == "master"
               and int(node_infos[h].get("connected_slaves") or 0) > 0]
    if len(masters) == 1:
        host = masters[0]
        return {"host": host, "address": str(addresses[host]), "port": port, "source": "replication"}
    host = redis_hosts[0]
    return {"host": host, "address": str(addresses[host]), "port": port, "source": "inventory"}


def sentinel_drift(master_info_lines, wanted):
    """``[option, value, ...]`` for SENTINEL SET: what differs from ``SENTINEL MASTER``.

    ``master_info_lines`` is redis-cli's output of SENTINEL MASTER (alternating
    field and value lines). When it is not such a listing (no master known
    yet), every wanted option is returned.
    """
    lines = [str(x) for x in master_info_lines or []]
    current = {}
    if lines[:1] == ["name"] and len(lines) % 2 == 0:
        current = dict(zip(lines[0::2], lines[1::2]))
    drift = []
    for option in sorted(wanted):
        value = str(wanted[option])
        if current.get(option) != value:
            drift.extend([option, value])
    return drift


# -- preflight -----------------------------------------------------------------
def _hv(hostvars, host):
    return hostvars[host] if host in hostvars else {}


def inventory_errors(hostvars, groups, secret_error):
    """Everything wrong with the Redis tier of an inventory, one message each.

    ``secret_error`` is secrets.secret_error (passed in so the filter and the
    tests share it).
    """
    errors = []
    redis_hosts = list(groups.get("redis") or [])
    sentinels = list(groups.get("sentinel") or [])
    if not redis_hosts:
        errors.append("group redis is empty; it needs at least one Redis data node (the first is the initial master)")
    if len(sentinels) < 3 or len(sentinels) % 2 == 0:
        errors.append("group sentinel has %d host(s); it needs an odd number, at least 3, for a quorum"
                      % len(sentinels))
    for host in sentinels:
        hv = _hv(hostvars, host)
        q = hv.get("redis_sentinel_quorum")
        if q in (None, ""):
            continue
        try:
            q_int = int(q)
            if isinstance(q, bool) or str(q_int) != str(q).strip():
                raise ValueError
        except (TypeError, ValueError):
            errors.append("redis_sentinel_quorum (host %s) is %r; it must be an integer" % (host, q))
            continue
        if q_int < 1 or q_int > len(sentinels):
            errors.append("redis_sentinel_quorum (host %s) is %d; it must be between 1 and %d (the sentinel count)"
                          % (host, q_int, len(sentinels)))
    for host in redis_hosts:
        hv = _hv(hostvars, host)
        for name in ("redis_password", "redis_app_password"):
            error = secret_error(hv.get(name), name, host)
            if error:
                errors.append(error)
        user = hv.get("redis_app_user", DEFAULT_APP_USER)
        if not _USERNAME_RE.match(str(user)) or str(user) == "default":
            errors.append("redis_app_user (host %s) is %r; use 1-64 letters, digits, '.', '_' or '-', not 'default'"
                          % (host, user))
    for host in sentinels:
        hv = _hv(hostvars, host)
        if host not in redis_hosts:
            error = secret_error(hv.get("redis_password"), "redis_password", host)
            if error:
                errors.append(error)
        sentinel_password = hv.get("redis_sentinel_password")
        if sentinel_password not in (None, ""):
            error = secret_error(sentinel_password, "redis_sentinel_password", host)
            if error:
                errors.append(error)
    return errors


# -- what the app needs ----------------------------------------------------------
def app_env(hostvars, groups, address_of):
    """The environment the app's Sentinel-aware Redis client reads.

    Variables come from the inventory (the first Sentinel's for Sentinel
    settings, the first Redis node's for the app user), with the roles'
    defaults when unset. ``address_of(host)`` gives a host's private address.
    """
    sentinels = list(groups.get("sentinel") or [])
    redis_hosts = list(groups.get("redis") or [])
    if not sentinels:
        raise ValueError("group sentinel is empty; the app reaches Redis through Sentinel")
    if not redis_hosts:
        raise ValueError("group redis is empty")
    first_sentinel = _hv(hostvars, sentinels[0])
    first_redis = _hv(hostvars, redis_hosts[0])
    pairs = []
    for host in sentinels:
        hv = _hv(hostvars, host)
        pairs.append("%s:%s" % (address_of(host), hv.get("redis_sentinel_port") or DEFAULT_SENTINEL_PORT))
    password = first_redis.get("redis_app_password")
    if not password:
        raise ValueError("redis_app_password (host %s) is not set" % redis_hosts[0])
    return {
        "REDIS_SENTINELS": ",".join(pairs),
        "REDIS_MASTER_NAME": str(first_sentinel.get("redis_sentinel_master_name") or DEFAULT_MASTER_NAME),
        "REDIS_USERNAME": str(first_redis.get("redis_app_user") or DEFAULT_APP_USER),
        "REDIS_PASSWORD": str(password),
        "REDIS_SENTINEL_PASSWORD": str(first_sentinel.get("redis_sentinel_password") or ""),
    }
