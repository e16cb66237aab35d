# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: release_id
short_description: A release id from the content of a directory or tarball on the controller
description:
  - Returns the first characters of the SHA-256 of the files of a release directory
    (paths and bytes; C(node_modules) and C(.git) left out), or of a tarball's bytes.
  - The same content always gets the same id, so re-running a deploy of an unchanged
    release changes nothing, and any change gets a new release directory.
options:
  _terms:
    description: Paths on the controller.
    required: true
    type: list
    elements: path
  length:
    description: Number of hex characters.
    type: int
    default: 12
"""

EXAMPLES = r"""
- name: Compute the id of the release in examples/app
  ansible.builtin.set_fact:
    app_node_release_id: "{{ lookup('scaleout.webstack.release_id', playbook_dir ~ '/../examples/app') }}"
"""

RETURN = r"""
_raw:
  description: One id per path.
  type: list
  elements: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.scaleout.webstack.plugins.module_utils import app


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        length = self.get_option("length")
        ids = []
        for term in terms:
            path = os.path.expanduser(str(term))
            if not os.path.exists(path):
                raise AnsibleLookupError("release path %s does not exist on the controller" % path)
            ids.append(app.release_id(path, length))
        return ids
