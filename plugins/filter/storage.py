# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Filters for shared uploads: the app's storage environment and preflight checks."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: storage_app_env
short_description: The environment the app tier reads to find shared uploads
description:
  - Returns a dict with C(STORAGE_BACKEND) (C(s3), C(nfs) or C(local)) and, for C(s3), C(S3_ENDPOINT), C(S3_BUCKET),
    C(S3_ACCESS_KEY), C(S3_SECRET_KEY), C(S3_REGION) and C(S3_FORCE_PATH_STYLE); for C(nfs) and C(local), C(UPLOADS_DIR).
  - For C(seaweedfs) and C(minio) the bucket, port and app keys are read from the first host of group C(storage);
    the endpoint is that host's private address unless C(storage_s3_endpoint) is set (for example a load balancer).
  - For C(external) the C(storage_s3_endpoint), C(storage_s3_bucket), C(storage_s3_access_key) and
    C(storage_s3_secret_key) of O(host) are used.
  - This plugin file also provides C(storage_inventory_errors) (C(hostvars), C(groups), optional C(storage_backend)
    and C(s3_engine) overriding the inventory's; returns a list of messages, one per problem, for preflight), C(minio_drive_errors) (hostvars and a host list;
    distributed MinIO drive count messages), C(seaweedfs_masters) (the storage hosts that run a SeaweedFS master)
    C(seaweedfs_replication) (the default replication for a host list) and C(s3_policy_equal) (whether two
    IAM-style policy documents grant the same, ignoring order).
options:
  _input:
    description: The C(hostvars) magic variable.
    type: dict
    required: true
  groups:
    description: The C(groups) magic variable.
    type: dict
    required: true
  host:
    description: The app host asking (usually C(inventory_hostname)); defaults to the first host of group C(app).
      Its hostvars give C(storage_backend), C(s3_engine), C(nfs_client_mount_point) and the C(storage_s3_*) settings.
    type: str
  storage_backend:
    description: C(nfs), C(s3) or C(local); overrides the host's C(storage_backend) (default C(local) when unset).
    type: str
  s3_engine:
    description: C(seaweedfs), C(minio) or C(external); overrides the host's C(s3_engine) (default C(seaweedfs) when unset).
    type: str
"""

EXAMPLES = r"""
- name: Write the app's storage settings
  ansible.builtin.copy:
    dest: /etc/webstack/storage.env
    content: |
      {% for k, v in (hostvars | scaleout.webstack.storage_app_env(groups, inventory_hostname)).items() %}
      {{ k }}={{ v }}
      {% endfor %}
    mode: "0600"
  no_log: true

- name: Check the storage part of the inventory
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
  vars:
    __errors: "{{ hostvars | scaleout.webstack.storage_inventory_errors(groups) }}"
"""

RETURN = r"""
_value:
  description: Environment variable names and values for the app.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.module_utils import storage


def _storage_app_env(hostvars, groups, host=None, storage_backend=None, s3_engine=None):
    try:
        return storage.app_env(hostvars, groups, host, storage_backend, s3_engine)
    except storage.StorageError as exc:
        raise AnsibleFilterError(str(exc))


def _storage_inventory_errors(hostvars, groups, storage_backend=None, s3_engine=None):
    return storage.inventory_errors(hostvars, groups, storage_backend, s3_engine)


def _minio_drive_errors(hostvars, hosts):
    return storage.minio_drive_errors(hostvars, hosts)


def _s3_policy_equal(current, desired):
    return storage.s3_policy_equal(current, desired)


def _seaweedfs_masters(hosts, max_masters=3):
    return storage.seaweedfs_masters(hosts, max_masters)


def _seaweedfs_replication(hosts):
    return storage.seaweedfs_replication(hosts)


class FilterModule(object):
    def filters(self):
        return {
            "storage_app_env": _storage_app_env,
            "storage_inventory_errors": _storage_inventory_errors,
            "minio_drive_errors": _minio_drive_errors,
            "s3_policy_equal": _s3_policy_equal,
            "seaweedfs_masters": _seaweedfs_masters,
            "seaweedfs_replication": _seaweedfs_replication,
        }
