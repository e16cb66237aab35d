# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Where hosts are reachable on the private network, from the inventory."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type


def private_address(hostvars, host):
    """The address other tiers use to reach ``host``.

    ``webstack_private_address`` (set in the inventory) wins; otherwise the
    address of the default route from facts; otherwise ``ansible_host``;
    otherwise the inventory name itself.
    """
    hv = hostvars.get(host, {}) if hasattr(hostvars, "get") else hostvars[host]
    explicit = hv.get("webstack_private_address")
    if explicit:
        return str(explicit)
    facts_ipv4 = hv.get("ansible_default_ipv4") or hv.get("ansible_facts", {}).get("default_ipv4") or {}
    if facts_ipv4.get("address"):
        return str(facts_ipv4["address"])
    return str(hv.get("ansible_host") or host)


def private_addresses(hostvars, hosts):
    return [private_address(hostvars, h) for h in hosts]
