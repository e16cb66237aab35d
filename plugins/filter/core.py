# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters shared by every tier: addresses and secret checks."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: private_address
short_description: The address other tiers use to reach a host
description:
  - Returns C(webstack_private_address) if set, else the default IPv4 address from facts,
    else C(ansible_host), else the inventory name.
  - This plugin file also provides C(private_addresses) (a list of hosts) and
    C(secret_error) (a message if a secret is unset, a placeholder or too short, else C(None)).
options:
  _input:
    description: The inventory hostname.
    type: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the primary's address
  ansible.builtin.debug:
    msg: "{{ groups['postgres_primary'][0] | scaleout.webstack.private_address(hostvars) }}"
"""

RETURN = r"""
_value:
  description: The address.
  type: str
"""

from ansible_collections.scaleout.webstack.plugins.module_utils import secrets, topology


def _private_address(host, hostvars):
    return topology.private_address(hostvars, host)


def _private_addresses(hosts, hostvars):
    return topology.private_addresses(hostvars, hosts)


def _secret_error(value, name, host=None, min_length=secrets.MIN_SECRET_LENGTH):
    return secrets.secret_error(value, name, host, min_length)


class FilterModule(object):
    def filters(self):
        return {
            "private_address": _private_address,
            "private_addresses": _private_addresses,
            "secret_error": _secret_error,
        }
