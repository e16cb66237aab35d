# -*- coding: utf-8 -*-
# Copyright: scaleout.webstack contributors
# Apache License 2.0 (see LICENSE)
"""Poll HTTP readiness endpoints until every one is ready, or give up.

Like a Kubernetes readiness probe, with an overall deadline:

* After ``initial_delay`` seconds, every URL not yet ready is probed once a
  round; a round starts every ``period`` seconds.
* A probe succeeds when the status is in ``status_codes`` and, if
  ``expect`` is set, the JMESPath expression over the JSON body is truthy
  (JMESPath truthiness: ``null``, ``false``, ``""``, ``[]`` and ``{}`` are
  false; ``0`` is true).
* A URL is ready after ``success_threshold`` consecutive successes; a
  failure resets that count. A ready URL is not probed again.
* A URL has *answered* once it has sent an HTTP response (any status) or
  completed enough of a TLS handshake to reject it. Until then, connection
  errors and timeouts count only toward the deadline: a node that is still
  restarting refuses connections, which is expected. From then on, every
  failed probe counts toward ``failure_threshold``; that many in a row and
  the gate gives up at once.
* The gate also gives up when no further round can start before
  ``deadline`` seconds (counted from the call, including ``initial_delay``).
  Each request's timeout is cut to the time left.
* Redirects are not followed: a 3xx is a status like any other. Proxies from
  the environment are ignored unless ``use_proxy`` is set.

Standard library only; ``jmespath`` is needed only for ``expect``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os
import socket
import ssl
import time
import traceback

from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, HTTPSHandler, ProxyHandler, Request, build_opener

try:
    import jmespath
except ImportError:
    jmespath = None
    JMESPATH_IMPORT_ERROR = traceback.format_exc()
else:
    JMESPATH_IMPORT_ERROR = None

HAS_JMESPATH = jmespath is not None

MAX_BODY_BYTES = 64 * 1024  # read at most this much of each response
BODY_SNIPPET_CHARS = 1024  # the ``body`` returned is cut to this
USER_AGENT = "scaleout.webstack-readyz_gate"

DEFAULTS = {
    "initial_delay": 0.0,
    "period": 1.0,
    "timeout": 1.0,
    "success_threshold": 1,
    "failure_threshold": 3,
    "deadline": 120.0,
    "status_codes": [200],
    "expect": None,
    "headers": None,
    "validate_certs": True,
    "ca_path": None,
    "client_cert": None,
    "client_key": None,
    "use_proxy": False,
    "history_size": 20,
}


class ReadyzError(ValueError):
    """Options that cannot work; the message names the option and why."""


def check_options(urls, options):
    """Raise ReadyzError for the first option that cannot work."""
    if not urls:
        raise ReadyzError("url must name at least one URL")
    for url in urls:
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise ReadyzError("url %r must start with http:// or https://" % (url,))
    for name in ("period", "timeout", "deadline"):
        if not options[name] > 0:
            raise ReadyzError("%s must be greater than 0, got %s" % (name, options[name]))
    if options["initial_delay"] < 0:
        raise ReadyzError("initial_delay must be 0 or more, got %s" % options["initial_delay"])
    if options["initial_delay"] >= options["deadline"]:
        raise ReadyzError("initial_delay (%s) must be less than deadline (%s)"
                          % (options["initial_delay"], options["deadline"]))
    for name in ("success_threshold", "failure_threshold"):
        if options[name] < 1:
            raise ReadyzError("%s must be 1 or more, got %s" % (name, options[name]))
    if options["history_size"] < 0:
        raise ReadyzError("history_size must be 0 or more, got %s" % options["history_size"])
    if not options["status_codes"]:
        raise ReadyzError("status_codes must list at least one HTTP status")
    for name in ("ca_path", "client_cert", "client_key"):
        path = options[name]
        if path and not os.path.exists(path):
            raise ReadyzError("%s %s does not exist" % (name, path))
    if options["client_key"] and not options["client_cert"]:
        raise ReadyzError("client_key needs client_cert")
    if options["expect"] is not None:
        compile_expect(options["expect"])


def compile_expect(expression):
    if not HAS_JMESPATH:
        raise ReadyzError("expect needs the Python library jmespath on the host that runs the "
                          "check (pip install jmespath)")
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        raise ReadyzError("expect %r is not a valid JMESPath expression: %s" % (expression, exc))


def jmespath_truthy(value):
    """JMESPath's truth: null, false and empty strings, lists and objects are false."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


def build_url_opener(urls, validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                     use_proxy=False):
    handlers = [ProxyHandler() if use_proxy else ProxyHandler({}), _NoRedirect()]
    if any(url.lower().startswith("https://") for url in urls):
        handlers.append(HTTPSHandler(context=_tls_context(validate_certs, ca_path, client_cert, client_key)))
    return build_opener(*handlers)


def _tls_context(validate_certs, ca_path, client_cert, client_key):
    try:
        if ca_path and os.path.isdir(ca_path):
            context = ssl.create_default_context(capath=ca_path)
        else:
            context = ssl.create_default_context(cafile=ca_path)
        if client_cert:
            context.load_cert_chain(client_cert, client_key)
    except (OSError, ssl.SSLError) as exc:
        raise ReadyzError("cannot load TLS files (ca_path %s, client_cert %s, client_key %s): %s"
                          % (ca_path, client_cert, client_key, exc))
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe_error(exc):
    """A short reason for a failed request, and whether the server answered."""
    reason = exc.reason if isinstance(exc, URLError) and not isinstance(exc, HTTPError) else exc
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "TLS certificate rejected: %s" % (reason.verify_message or reason), True
    if isinstance(reason, ssl.SSLError):
        return "TLS error: %s" % (reason.reason or reason), True
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused", False
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "timed out", False
    if isinstance(reason, socket.gaierror):
        return "cannot resolve host: %s" % reason.strerror, False
    return "%s: %s" % (type(reason).__name__, reason), False


def probe(opener, url, headers, timeout, status_codes, expect=None):
    """One request. Returns a dict: url, status, latency_ms, ok, error, answered, body, json."""
    status = text = parsed = None
    error = None
    answered = False
    start = time.monotonic()
    try:
        try:
            response = opener.open(Request(url, headers=headers), timeout=timeout)
        except HTTPError as exc:  # any status urllib does not call success, 3xx included
            response = exc
        status = response.getcode()
        answered = True
        text = ""
        if getattr(response, "fp", None):
            try:
                text = response.read(MAX_BODY_BYTES).decode("utf-8", "replace")
            finally:
                response.close()
    except (URLError, HTTPException, OSError) as exc:
        error, tls_answer = describe_error(exc)
        answered = answered or tls_answer
    latency_ms = round((time.monotonic() - start) * 1000, 1)
    if text:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
    if error is None:
        error = _unmet(status, text, parsed, status_codes, expect)
    return {"url": url, "status": status, "latency_ms": latency_ms, "ok": error is None,
            "error": error, "answered": answered, "body": text, "json": parsed}


def _unmet(status, text, parsed, status_codes, expect):
    """Why an answered request is not a success, or None."""
    if status not in status_codes:
        return "status %s not in %s" % (status, list(status_codes))
    if expect is None:
        return None
    if parsed is None and text != "null":
        return "expect %r needs a JSON body" % expect.expression
    if not jmespath_truthy(expect.search(parsed)):
        return "expect %r is not met" % expect.expression
    return None


class Target:
    """The probes of one URL so far."""

    def __init__(self, url):
        self.url = url
        self.attempts = 0
        self.successes = 0  # consecutive
        self.failures = 0  # consecutive, counted once the URL has answered
        self.answered = False
        self.ready = False
        self.last = None

    def record(self, result, success_threshold):
        self.attempts += 1
        self.last = result
        self.answered = self.answered or result["answered"]
        if result["ok"]:
            self.successes += 1
            self.failures = 0
            self.ready = self.successes >= success_threshold
        else:
            self.successes = 0
            if self.answered:
                self.failures += 1

    def summary(self):
        last = self.last or {}
        return {"url": self.url, "ready": self.ready, "attempts": self.attempts,
                "successes": self.successes, "failures": self.failures, "answered": self.answered,
                "status": last.get("status"), "error": last.get("error")}


def wait_ready(urls, **options):
    """Probe ``urls`` until all are ready or the gate gives up; see the module docstring.

    Options are those of DEFAULTS. Raises ReadyzError for options that cannot
    work; otherwise returns a dict: ready, reason, attempts, elapsed, status,
    body, json, history, urls, failed_url.
    """
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise ReadyzError("unknown options: %s" % ", ".join(sorted(unknown)))
    opts = dict(DEFAULTS, **{k: v for k, v in options.items() if v is not None})
    urls = [urls] if isinstance(urls, str) else list(dict.fromkeys(urls or []))
    check_options(urls, opts)

    expect = compile_expect(opts["expect"]) if opts["expect"] is not None else None
    opener = build_url_opener(urls, opts["validate_certs"], opts["ca_path"], opts["client_cert"],
                              opts["client_key"], opts["use_proxy"])
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json, */*"}
    headers.update({str(k): str(v) for k, v in (opts["headers"] or {}).items()})
    status_codes = [int(code) for code in opts["status_codes"]]
    targets = [Target(url) for url in urls]
    history = collections.deque(maxlen=opts["history_size"])
    start = time.monotonic()
    end = start + opts["deadline"]
    gave_up = last_probed = None

    time.sleep(opts["initial_delay"])
    while gave_up is None:
        round_start = time.monotonic()
        for target in targets:
            left = end - time.monotonic()
            if target.ready or left <= 0:
                continue
            result = probe(opener, target.url, headers, min(opts["timeout"], left), status_codes, expect)
            target.record(result, opts["success_threshold"])
            history.append({k: result[k] for k in ("url", "status", "latency_ms", "ok", "error")})
            last_probed = target
            if target.failures >= opts["failure_threshold"]:
                gave_up = target
                break
        next_round = round_start + opts["period"]
        if gave_up or all(t.ready for t in targets) or next_round >= end:
            break
        time.sleep(max(0.0, next_round - time.monotonic()))

    ready = all(t.ready for t in targets)
    decider = gave_up or next((t for t in targets if not t.ready), last_probed)
    last = decider.last or {}
    body = last.get("body")
    return {
        "ready": ready,
        "reason": _reason(ready, targets, decider, gave_up, opts),
        "failed_url": None if ready else decider.url,
        "attempts": sum(t.attempts for t in targets),
        "elapsed": round(time.monotonic() - start, 3),
        "status": last.get("status"),
        "body": body[:BODY_SNIPPET_CHARS] if body is not None else None,
        "json": last.get("json"),
        "history": list(history),
        "urls": [t.summary() for t in targets],
    }


def _reason(ready, targets, decider, gave_up, opts):
    if ready:
        return "%d URL(s) ready: %d consecutive success(es) each" % (len(targets), opts["success_threshold"])
    last_error = decider.last["error"] if decider.last else "never probed"
    if gave_up:
        return "%s failed %d consecutive probes after it had answered (failure_threshold); last: %s" % (
            decider.url, decider.failures, last_error)
    return "%s not ready within the %s s deadline (%d attempt(s), %d consecutive success(es)); last: %s" % (
        decider.url, opts["deadline"], decider.attempts, decider.successes, last_error)
