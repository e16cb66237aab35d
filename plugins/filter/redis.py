# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters for the Redis tier: current master, quorum, maxmemory, ACLs, preflight, app env."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: redis_app_env
short_description: The environment a Sentinel-aware app client needs
description:
  - Returns a dict with C(REDIS_SENTINELS) (C(addr:port,...) of the sentinel group), C(REDIS_MASTER_NAME),
    C(REDIS_USERNAME), C(REDIS_PASSWORD) and C(REDIS_SENTINEL_PASSWORD) (empty when Sentinels have no password).
  - This plugin file also provides C(redis_inventory_errors) (preflight messages for the Redis tier),
    C(redis_current_master) (which node is master now - Sentinels, then replication, then inventory order),
    C(redis_quorum), C(redis_maxmemory), C(redis_acl_line) and C(redis_sentinel_drift) (the SENTINEL SET arguments that fix a Sentinel).
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the app's Redis settings
  ansible.builtin.debug:
    msg: "{{ hostvars | scaleout.webstack.redis_app_env(groups) }}"
"""

RETURN = r"""
_value:
  description: Environment variable name to value.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.module_utils import redis, secrets, topology


def _wrap(func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _redis_app_env(hostvars, groups):
    return _wrap(redis.app_env, hostvars, groups, lambda h: topology.private_address(hostvars, h))


def _redis_inventory_errors(hostvars, groups):
    return redis.inventory_errors(hostvars, groups, secrets.secret_error)


def _parse_info(text):
    info = {}
    for line in str(text or "").splitlines():
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            info[key.strip()] = value.strip()
    return info or None


def _node_infos(hostvars, redis_hosts, node_infos):
    """A dict host -> INFO, from: such a dict; the name of a registered redis_info result on each
    host; or a list of registered redis-cli INFO results in the order of ``redis_hosts``."""
    if isinstance(node_infos, (list, tuple)):
        return dict((h, _parse_info(r.get("stdout")) if hasattr(r, "get") and r.get("rc") == 0 else None)
                    for h, r in zip(redis_hosts, node_infos))
    if not isinstance(node_infos, str):
        return node_infos
    infos = {}
    for host in redis_hosts:
        result = hostvars[host].get(node_infos) if host in hostvars else None
        ok = hasattr(result, "get") and not result.get("failed") and hasattr(result.get("info"), "get")
        infos[host] = result.get("info") if ok else None
    return infos


def _redis_current_master(sentinel_answers, redis_hosts, hostvars, node_infos=None, port=redis.DEFAULT_PORT):
    """``sentinel_answers``: raw outputs of SENTINEL get-master-addr-by-name (or registered results)."""
    answers = [a.get("stdout") if hasattr(a, "get") else a for a in sentinel_answers or []]
    addresses = dict((h, topology.private_address(hostvars, h)) for h in redis_hosts)
    infos = _node_infos(hostvars, redis_hosts, node_infos)
    return _wrap(redis.current_master, answers, list(redis_hosts), addresses, infos, int(port))


def _redis_quorum(sentinel_count, override=None):
    if override not in (None, ""):
        return int(override)
    return redis.quorum(sentinel_count)


def _redis_maxmemory(memtotal_mb, override=None, fraction=redis.DEFAULT_MAXMEMORY_FRACTION):
    return _wrap(redis.maxmemory_bytes, memtotal_mb, override, float(fraction))


def _redis_acl_line(user, password, kind="app"):
    rules = redis.APP_USER_RULES if kind == "app" else redis.DEFAULT_USER_RULES
    return _wrap(redis.acl_line, user, password, rules)


class FilterModule(object):
    def filters(self):
        return {
            "redis_app_env": _redis_app_env,
            "redis_inventory_errors": _redis_inventory_errors,
            "redis_current_master": _redis_current_master,
            "redis_quorum": _redis_quorum,
            "redis_maxmemory": _redis_maxmemory,
            "redis_acl_line": _redis_acl_line,
            "redis_sentinel_drift": redis.sentinel_drift,
        }
