# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters of the nginx_lb role: upstream servers, preflight and drain checks.

Each filter is documented in the YAML file of the same name next to this one.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.module_utils import loadbalancer as lb


def _upstream_servers(hostvars, groups, drained=None, default_port=lb.DEFAULT_APP_PORT,
                      max_weight_fallback=lb.DEFAULT_MAX_WEIGHT_FALLBACK, group=lb.APP_GROUP):
    try:
        return lb.upstream_servers(hostvars, groups, drained or [], group=group,
                                   default_port=int(default_port),
                                   max_weight_fallback=int(max_weight_fallback))
    except ValueError as exc:
        raise AnsibleFilterError("nginx_lb_upstream_servers: %s" % exc)


def _errors(hostvars, groups, balancing=None, socketio_polling=None, tls_self_signed=None,
            tls_cert_src=None, tls_key_src=None, rate_limits=None, hash_key=None, check_workers=True):
    return lb.lb_errors(hostvars, groups, balancing=balancing, socketio_polling=socketio_polling,
                        tls_self_signed=tls_self_signed, tls_cert_src=tls_cert_src,
                        tls_key_src=tls_key_src, rate_limits=rate_limits, hash_key=hash_key,
                        check_workers=check_workers)


def _locations(rate_limits):
    return lb.locations(rate_limits or [])


def _drained(current, nodes=None, action="keep", known=None):
    try:
        return lb.drained_set(current or [], nodes or [], action, known)
    except ValueError as exc:
        raise AnsibleFilterError("nginx_lb_drained: %s" % exc)


def _drain_errors(nodes, known, current=None, action="drain", allow_all_down=False):
    return lb.drain_errors(nodes, known, current or [], action, allow_all_down)


class FilterModule(object):
    def filters(self):
        return {
            "nginx_lb_upstream_servers": _upstream_servers,
            "nginx_lb_errors": _errors,
            "nginx_lb_locations": _locations,
            "nginx_lb_drained": _drained,
            "nginx_lb_drain_errors": _drain_errors,
        }
