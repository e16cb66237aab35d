#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: readyz_gate
short_description: Wait until HTTP readiness endpoints report ready
version_added: 0.1.0
description:
  - Polls one or more HTTP(S) readiness endpoints (typically C(/readyz)) until each has
    passed O(success_threshold) consecutive checks, the way a Kubernetes readiness probe
    does, but with an overall O(deadline) so that a rolling deploy can gate each batch on it.
  - A check passes when the status is in O(status_codes) and, if O(expect) is set, the
    JMESPath expression over the JSON body is truthy.
  - A URL has I(answered) once it has sent an HTTP response (any status) or rejected a TLS
    handshake. Before that, refused connections and timeouts count only toward O(deadline),
    since a restarting node refuses connections. After that, every failed check counts
    toward O(failure_threshold), and that many in a row end the wait at once.
  - URLs are probed in order, once per round; a round starts every O(period) seconds. A URL
    that is ready is not probed again.
  - The module only reads, so it runs the same in check mode.
author:
  - scaleout.webstack maintainers (@scaleout)
options:
  url:
    description:
      - The URL, or list of URLs, to check. All must become ready.
      - Each must start with V(http://) or V(https://). Duplicates are checked once.
    type: list
    elements: str
    required: true
  initial_delay:
    description:
      - Seconds to wait before the first check. Counts toward O(deadline) and must be less than it.
    type: float
    default: 0.0
  period:
    description:
      - Seconds from the start of one round of checks to the start of the next. Must be greater than 0.
    type: float
    default: 1.0
  timeout:
    description:
      - Seconds each request may take. A slower request is a failed check. Must be greater than 0.
      - Cut to the time left before O(deadline).
    type: float
    default: 1.0
  success_threshold:
    description:
      - Consecutive passed checks after which a URL is ready. A failed check resets the count.
    type: int
    default: 1
  failure_threshold:
    description:
      - Consecutive failed checks, counted once the URL has answered, after which the module gives up
        without waiting for O(deadline).
    type: int
    default: 3
  deadline:
    description:
      - Seconds, from the start of the task, within which every URL must be ready.
      - No new round starts if it would begin after the deadline.
    type: float
    default: 120.0
  status_codes:
    description:
      - HTTP statuses that pass. Redirects are not followed, so a 3xx is a status like any other.
    type: list
    elements: int
    default: [200]
  expect:
    description:
      - A JMESPath expression evaluated over the JSON body; the check passes only if the result is
        truthy. V(null), V(false), empty strings, lists and objects are false; V(0) is true (JMESPath rules).
      - A body that is not JSON fails the check.
      - Needs the Python library C(jmespath) on the host that runs the module.
    type: str
  headers:
    description:
      - Extra request headers. Use C(no_log) on the task if they carry credentials.
    type: dict
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate and host name.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file (or directory of hashed certificates) of CAs to trust instead of the system ones.
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS. May also hold the key.
    type: path
  client_key:
    description:
      - PEM private key for O(client_cert), if not in the same file.
    type: path
  use_proxy:
    description:
      - Whether to use proxies from the environment (C(http_proxy), C(https_proxy), C(no_proxy)).
      - Off by default, since readiness endpoints are private addresses.
    type: bool
    default: false
  history_size:
    description:
      - How many of the latest checks to return in RV(history). V(0) returns none.
    type: int
    default: 20
notes:
  - Runs where the task runs. To check nodes from the controller or a load balancer, use
    C(delegate_to) and the node's private address in O(url).
  - On failure, the module fails with a message naming the URL, its last status and a snippet of its
    body, and returns the same values as on success.
  - Compared with a Kubernetes readiness probe, O(initial_delay), O(period), O(timeout),
    O(success_threshold) and O(failure_threshold) mean what C(initialDelaySeconds),
    C(periodSeconds), C(timeoutSeconds), C(successThreshold) and C(failureThreshold) mean, except
    that reaching O(failure_threshold) ends the wait instead of marking the pod unready.
requirements:
  - jmespath (only for O(expect))
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.uri
  - module: ansible.builtin.wait_for
"""

EXAMPLES = r"""
- name: Ensure the node answers ready on /readyz before it rejoins the pool
  scaleout.webstack.readyz_gate:
    url: "http://{{ webstack_private_address }}:3000/readyz"
    period: 2
    success_threshold: 2
    deadline: 90

- name: Ensure the app and its metrics endpoint are ready and the database check passed
  scaleout.webstack.readyz_gate:
    url:
      - http://127.0.0.1:3000/readyz
      - http://127.0.0.1:9209/readyz
    expect: "status == 'ok' && checks.postgres.ok"
    failure_threshold: 5

- name: Ensure the node is ready through TLS, checked from the load balancer
  scaleout.webstack.readyz_gate:
    url: "https://{{ hostvars[item].webstack_private_address }}/readyz"
    ca_path: /etc/ssl/webstack/ca.pem
    headers:
      Host: app.example.com
  delegate_to: "{{ groups['lb'][0] }}"
  loop: "{{ ansible_play_batch }}"
"""

RETURN = r"""
ready:
  description: Whether every URL became ready.
  returned: always
  type: bool
  sample: true
reason:
  description: Why the module stopped waiting.
  returned: always
  type: str
  sample: "1 URL(s) ready: 2 consecutive success(es) each"
failed_url:
  description: The URL that was not ready, or V(null) when all were.
  returned: always
  type: str
  sample: http://10.0.0.5:3000/readyz
attempts:
  description: Requests made, over all URLs.
  returned: always
  type: int
  sample: 4
elapsed:
  description: Seconds from the start of the task to the decision, O(initial_delay) included.
  returned: always
  type: float
  sample: 3.012
status:
  description:
    - The last HTTP status of the URL that decided the result (the failing URL, or the last one to become
      ready), or V(null) if it never answered.
  returned: always
  type: int
  sample: 200
body:
  description: The start (at most 1024 characters) of that URL's last body, or V(null) if none.
  returned: always
  type: str
  sample: '{"status": "ok"}'
json:
  description: That last body parsed as JSON, or V(null) if it is not JSON.
  returned: always
  type: raw
  sample: {"status": "ok", "checks": {"postgres": {"ok": true}}}
history:
  description: The latest checks, oldest first, at most O(history_size) of them.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL checked.
      type: str
    status:
      description: The HTTP status, or V(null) if none was received.
      type: int
    latency_ms:
      description: Milliseconds the check took.
      type: float
    ok:
      description: Whether the check passed.
      type: bool
    error:
      description: Why the check failed, or V(null) if it passed.
      type: str
  sample:
    - {url: "http://10.0.0.5:3000/readyz", status: null, latency_ms: 0.4, ok: false, error: connection refused}
    - {url: "http://10.0.0.5:3000/readyz", status: 200, latency_ms: 3.1, ok: true, error: null}
urls:
  description: One summary per URL, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    url:
      description: The URL.
      type: str
    ready:
      description: Whether it became ready.
      type: bool
    attempts:
      description: Requests made to it.
      type: int
    successes:
      description: Consecutive passed checks at the end.
      type: int
    failures:
      description: Consecutive failed checks at the end, counted once it had answered.
      type: int
    answered:
      description: Whether it ever sent an HTTP response or rejected a TLS handshake.
      type: bool
    status:
      description: Its last HTTP status, or V(null).
      type: int
    error:
      description: Why its last check failed, or V(null).
      type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.scaleout.webstack.plugins.module_utils.readyz import (
    DEFAULTS,
    HAS_JMESPATH,
    JMESPATH_IMPORT_ERROR,
    ReadyzError,
    wait_ready,
)

MSG_BODY_CHARS = 200


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="list", elements="str", required=True),
            initial_delay=dict(type="float", default=0.0),
            period=dict(type="float", default=1.0),
            timeout=dict(type="float", default=1.0),
            success_threshold=dict(type="int", default=1),
            failure_threshold=dict(type="int", default=3),
            deadline=dict(type="float", default=120.0),
            status_codes=dict(type="list", elements="int", default=[200]),
            expect=dict(type="str"),
            headers=dict(type="dict"),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            client_cert=dict(type="path"),
            client_key=dict(type="path", no_log=False),
            use_proxy=dict(type="bool", default=False),
            history_size=dict(type="int", default=20),
        ),
        required_by={"client_key": "client_cert"},
        supports_check_mode=True,
    )
    if module.params["expect"] is not None and not HAS_JMESPATH:
        module.fail_json(msg=missing_required_lib("jmespath", reason="for expect"), exception=JMESPATH_IMPORT_ERROR)

    options = {name: module.params[name] for name in DEFAULTS}
    try:
        result = wait_ready(module.params["url"], **options)
    except ReadyzError as exc:
        module.fail_json(msg=str(exc))

    if not result["ready"]:
        body = result["body"]
        snippet = "(none)" if body is None else repr(body[:MSG_BODY_CHARS] + ("..." if len(body) > MSG_BODY_CHARS else ""))
        module.fail_json(msg="readyz gate failed: %s; last status %s, body %s" % (
            result["reason"], "none" if result["status"] is None else result["status"], snippet), changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
