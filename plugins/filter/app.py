# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters for the app tier: worker counts, the connection budget, env file quoting."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: app_workers
short_description: The number of PM2 workers an app node runs
description:
  - Resolves the host's C(app_workers) (an integer, or C(max) for one per vCPU from facts).
  - This plugin file also provides C(app_worker_errors) (preflight messages for every app host),
    C(app_tier_errors) (worker counts, secrets and the connection budget of the app tier), C(app_release_id_error) and C(dotenv_quote).
options:
  _input:
    description: The inventory hostname of an app node.
    type: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Show the workers of each app node
  ansible.builtin.debug:
    msg: "{{ item }} runs {{ item | scaleout.webstack.app_workers(hostvars) }} workers"
  loop: "{{ groups['app'] }}"
"""

RETURN = r"""
_value:
  description: The worker count.
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.module_utils import app, secrets


def _app_workers(host, hostvars):
    try:
        return app.workers(hostvars, host)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def _app_worker_errors(hosts, hostvars):
    return app.worker_errors(hostvars, hosts)


def _app_total_workers(hosts, hostvars):
    return sum(_app_workers(h, hostvars) for h in hosts)


def _app_tier_errors(hostvars, groups, require_facts=False):
    return app.tier_errors(hostvars, groups, secrets.secret_error, require_facts)


class FilterModule(object):
    def filters(self):
        return {
            "app_workers": _app_workers,
            "app_total_workers": _app_total_workers,
            "app_worker_errors": _app_worker_errors,
            "app_tier_errors": _app_tier_errors,
            "app_release_id_error": app.release_id_error,
            "dotenv_quote": app.dotenv_quote,
        }
