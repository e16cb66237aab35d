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
    C(redis_current_master) (which node is master now: Sentinels, then replication, then inventory order),
    C(redis_quorum), C(redis_maxmemory) and C(redis_acl_line).
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


def _redis_current_master(sentinel_answers, redis_hosts, hostvars, node_infos=None, port=redis.DEFAULT_PORT):
    addresses = dict((h, topology.private_address(hostvars, h)) for h in redis_hosts)
    return _wrap(redis.current_master, sentinel_answers, list(redis_hosts), addresses, node_infos, int(port))


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
        }
