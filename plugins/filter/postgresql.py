# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters for the PostgreSQL tier (logic in module_utils/postgresql.py)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: postgresql_app_env
short_description: The app's database environment from the inventory
description:
  - Returns C(DATABASE_URL) (the primary) and C(DATABASE_REPLICA_URLS) (comma-separated, one URL per replica),
    C(postgres://user:password@address:port/database) with the password URL-encoded.
  - This plugin file also provides C(postgresql_tuning) (memory and CPU settings for a host from its facts),
    C(postgresql_replication_settings) (WAL settings for a replica count),
    C(postgresql_replication_slot) (the physical slot name of a replica),
    C(postgresql_inventory_errors) (one message per inventory problem of the tier) and
    C(postgresql_usable_connections) (max_connections minus the reserve on the primary),
    C(postgresql_hosts_missing_facts) (tier hosts whose address is not known yet) and
    C(postgresql_settings_to_change) (names of wanted settings that differ from rows of pg_settings).
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
- name: Give the app its database URLs
  ansible.builtin.set_fact:
    app_node_database_env: "{{ hostvars | scaleout.webstack.postgresql_app_env(groups) }}"

- name: Fail on a bad inventory
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join('; ') }}"
  vars:
    _errors: "{{ hostvars | scaleout.webstack.postgresql_inventory_errors(groups) }}"
"""

RETURN = r"""
_value:
  description: A dict with keys C(DATABASE_URL) and C(DATABASE_REPLICA_URLS).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.scaleout.webstack.plugins.module_utils import postgresql as pg


def _app_env(hostvars, groups):
    try:
        return pg.app_env(hostvars, groups)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _tuning(host, hostvars, groups, overrides=None, max_connections=None):
    return pg.host_tuning(host, hostvars, groups, overrides, max_connections)


def _replication_settings(replica_count):
    return pg.replication_settings(replica_count)


def _replication_slot(host):
    return pg.replication_slot(host)


def _inventory_errors(hostvars, groups):
    return pg.inventory_errors(hostvars, groups)


def _hosts_missing_facts(hostvars, groups):
    return pg.hosts_missing_facts(hostvars, groups)


def _settings_to_change(desired, current):
    return pg.settings_to_change(desired, current)


def _usable_connections(hostvars, groups):
    return pg.usable_connections(hostvars, groups)


class FilterModule(object):
    def filters(self):
        return {
            "postgresql_app_env": _app_env,
            "postgresql_tuning": _tuning,
            "postgresql_replication_settings": _replication_settings,
            "postgresql_replication_slot": _replication_slot,
            "postgresql_inventory_errors": _inventory_errors,
            "postgresql_usable_connections": _usable_connections,
            "postgresql_hosts_missing_facts": _hosts_missing_facts,
            "postgresql_settings_to_change": _settings_to_change,
        }
