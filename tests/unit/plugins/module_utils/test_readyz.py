"""readyz polling against real HTTP(S) servers on 127.0.0.1 (no mocked HTTP).

ScriptedServer and the pki fixture are also used by tests/unit/plugins/modules/test_readyz_gate.py.
"""
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.scaleout.webstack.plugins.module_utils import readyz

FAST = {"period": 0.05, "timeout": 1.0, "deadline": 5.0}
DROP = None  # a status of None: close the connection without answering


def step(status, body="", delay=0.0):
    return (status, body, delay)


class ScriptedHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        status, body, delay = self.server.next_step(self)
        time.sleep(delay)
        if status is DROP:
            return
        data = (json.dumps(body) if isinstance(body, (dict, list)) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if isinstance(body, (dict, list)) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class ScriptedServer(ThreadingHTTPServer):
    """Serves its script one step per request; the last step repeats.

    A step is a status (int), or step(status, body, delay).
    """

    daemon_threads = True

    def __init__(self, script, port=0, tls=None):
        super().__init__(("127.0.0.1", port), ScriptedHandler)
        self.script = [s if isinstance(s, tuple) else step(s) for s in script]
        self.requests = []
        self.lock = threading.Lock()
        self.tls = tls
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def url(self, path="/readyz"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.server_address[1], path)

    def next_step(self, handler):
        with self.lock:
            self.requests.append({"path": handler.path, "headers": dict(handler.headers)})
            return self.script[min(len(self.requests), len(self.script)) - 1]

    def handle_error(self, request, client_address):
        pass  # clients that time out or reject our certificate are expected

    def __enter__(self):
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A throwaway CA and a certificate it issued for 127.0.0.1 (server and client use)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    base = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(subject, key, issuer, signing_key, ca):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                  critical=False))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = issue("readyz test CA", ca_key, "readyz test CA", ca_key, ca=True)
    leaf_cert = issue("127.0.0.1", leaf_key, "readyz test CA", ca_key, ca=False)
    paths = {"ca": base / "ca.pem", "cert": base / "cert.pem", "key": base / "key.pem"}
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return {name: str(path) for name, path in paths.items()}


def server_tls(pki, require_client_cert=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki["ca"])
    return context


def wait(url, **options):
    return readyz.wait_ready(url, **dict(FAST, **options))


def oks(result):
    return [entry["ok"] for entry in result["history"]]


# --- readiness and thresholds ---------------------------------------------------------------

def test_ready_at_once():
    with ScriptedServer([step(200, {"status": "ok"})]) as server:
        result = wait(server.url())
    assert result["ready"] and result["attempts"] == 1
    assert result["status"] == 200 and result["json"] == {"status": "ok"}
    assert result["failed_url"] is None and result["reason"].startswith("1 URL(s) ready")
    assert result["urls"][0]["ready"] and result["history"][0]["error"] is None
    assert server.requests[0]["headers"]["User-Agent"] == readyz.USER_AGENT


def test_ready_after_n_polls_with_a_period_between_rounds():
    with ScriptedServer([503, 503, 503, 200]) as server:
        result = wait(server.url(), failure_threshold=5)
    assert result["ready"] and result["attempts"] == 4
    assert [h["status"] for h in result["history"]] == [503, 503, 503, 200]
    assert result["history"][0]["error"] == "status 503 not in [200]"
    assert result["elapsed"] >= 3 * FAST["period"]


def test_flap_resets_the_success_count():
    with ScriptedServer([200, 503, 200, 200, 200, 503]) as server:
        result = wait(server.url(), success_threshold=3)
    assert result["ready"] and result["attempts"] == 5
    assert oks(result) == [True, False, True, True, True]
    assert result["urls"][0]["successes"] == 3


def test_never_ready_gives_up_at_failure_threshold_once_it_has_answered():
    with ScriptedServer([step(503, "warming up")]) as server:
        result = wait(server.url(), failure_threshold=3, deadline=30)
    assert not result["ready"] and result["attempts"] == 3 and result["elapsed"] < 2
    assert "failed 3 consecutive probes" in result["reason"]
    assert result["failed_url"] == server.url()
    assert (result["status"], result["body"]) == (503, "warming up")


def test_never_ready_gives_up_at_the_deadline():
    with ScriptedServer([503]) as server:
        result = wait(server.url(), failure_threshold=1000, deadline=0.4)
    assert not result["ready"] and "0.4 s deadline" in result["reason"]
    assert 0.3 <= result["elapsed"] <= 0.6
    assert result["attempts"] >= 5


def test_initial_delay_comes_first():
    with ScriptedServer([200]) as server:
        result = wait(server.url(), initial_delay=0.2)
    assert result["ready"] and result["elapsed"] >= 0.2


# --- JSON expectations --------------------------------------------------------------------

def test_expect_unmet_then_met():
    starting = {"status": "starting", "checks": {"postgres": {"ok": False}}}
    ok = {"status": "ok", "checks": {"postgres": {"ok": True}}}
    with ScriptedServer([step(200, starting), step(200, ok)]) as server:
        result = wait(server.url(), expect="status == 'ok' && checks.postgres.ok")
    assert result["ready"] and result["attempts"] == 2
    assert result["history"][0]["error"] == "expect \"status == 'ok' && checks.postgres.ok\" is not met"
    assert result["json"] == ok


def test_expect_fails_on_a_body_that_is_not_json():
    with ScriptedServer([step(200, "OK")]) as server:
        result = wait(server.url(), expect="status", failure_threshold=1)
    assert not result["ready"] and result["json"] is None
    assert result["history"][0]["error"] == "expect 'status' needs a JSON body"


@pytest.mark.parametrize("value, truthy", [
    (None, False), (False, False), ("", False), ([], False), ({}, False),
    (0, True), (True, True), ("x", True), ([0], True), ({"a": 1}, True)])
def test_expect_uses_jmespath_truthiness(value, truthy):
    assert readyz.jmespath_truthy(value) is truthy


def test_expect_without_jmespath_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(readyz, "HAS_JMESPATH", False)
    with pytest.raises(readyz.ReadyzError, match="expect needs the Python library jmespath"):
        readyz.wait_ready("http://127.0.0.1:1/readyz", expect="status")


def test_expect_with_bad_syntax_is_a_clear_error():
    with pytest.raises(readyz.ReadyzError, match="not a valid JMESPath expression"):
        readyz.wait_ready("http://127.0.0.1:1/readyz", expect="status ==")


# --- connection errors and timeouts -------------------------------------------------------

def test_connection_refused_counts_toward_the_deadline_not_failure_threshold():
    url = "http://127.0.0.1:%d/readyz" % free_port()
    result = wait(url, failure_threshold=1, deadline=0.3)
    assert not result["ready"] and "deadline" in result["reason"]
    assert result["attempts"] > 1
    assert result["urls"][0] == {"url": url, "ready": False, "attempts": result["attempts"], "successes": 0,
                                 "failures": 0, "answered": False, "status": None, "error": "connection refused"}
    assert result["status"] is None and result["body"] is None


def test_refused_until_the_server_starts_then_ready():
    port = free_port()
    started = []
    timer = threading.Timer(0.2, lambda: started.append(ScriptedServer([200], port=port).__enter__()))
    timer.start()
    try:
        result = wait("http://127.0.0.1:%d/readyz" % port, failure_threshold=1)
    finally:
        timer.join()
        started[0].__exit__()
    assert result["ready"]
    assert result["history"][0]["error"] == "connection refused" and result["history"][-1]["ok"]


def test_errors_after_it_has_answered_count_toward_failure_threshold():
    with ScriptedServer([503, DROP]) as server:
        result = wait(server.url(), failure_threshold=3, deadline=30)
    assert not result["ready"] and result["attempts"] == 3
    assert result["history"][1]["error"].startswith("RemoteDisconnected")
    assert result["urls"][0]["answered"]


def test_a_request_slower_than_timeout_fails():
    with ScriptedServer([step(200, "late", delay=0.5)]) as server:
        result = wait(server.url(), timeout=0.1, deadline=0.35, failure_threshold=1)
    assert not result["ready"] and "deadline" in result["reason"]
    assert {h["error"] for h in result["history"]} == {"timed out"}
    latencies = [h["latency_ms"] for h in result["history"]]
    assert 90 <= latencies[0] < 300
    assert max(latencies) < 300 and result["elapsed"] < 0.5  # the last timeout is cut to the time left


def test_a_slow_first_answer_then_a_fast_one_is_ready():
    with ScriptedServer([step(200, "late", delay=0.3), 200]) as server:
        result = wait(server.url(), timeout=0.1, failure_threshold=1)
    assert result["ready"] and oks(result) == [False, True]


def test_redirects_are_not_followed():
    with ScriptedServer([302]) as server:
        refused = wait(server.url(), failure_threshold=1)
        accepted = wait(server.url(), status_codes=[302])
    assert not refused["ready"] and refused["status"] == 302
    assert accepted["ready"] and all(r["path"] == "/readyz" for r in server.requests)


def test_environment_proxies_are_ignored_unless_use_proxy(monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:%d" % free_port())
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with ScriptedServer([200]) as server:
        direct = wait(server.url())
        proxied = wait(server.url(), use_proxy=True, deadline=0.2)
    assert direct["ready"]
    assert not proxied["ready"] and proxied["urls"][0]["error"] == "connection refused"


def test_headers_are_sent():
    with ScriptedServer([200]) as server:
        wait(server.url(), headers={"Host": "app.example.com", "X-Probe": 1})
    assert server.requests[0]["headers"]["Host"] == "app.example.com"
    assert server.requests[0]["headers"]["X-Probe"] == "1"


# --- TLS ----------------------------------------------------------------------------------

def test_tls_self_signed_is_rejected_when_validating(pki):
    with ScriptedServer([200], tls=server_tls(pki)) as server:
        result = wait(server.url(), failure_threshold=2)
    assert not result["ready"] and result["attempts"] == 2
    assert result["history"][0]["error"].startswith("TLS certificate rejected")
    assert result["urls"][0]["answered"]


def test_tls_passes_with_ca_path(pki):
    with ScriptedServer([200], tls=server_tls(pki)) as server:
        result = wait(server.url(), ca_path=pki["ca"])
    assert result["ready"]


def test_tls_passes_without_validation(pki):
    with ScriptedServer([200], tls=server_tls(pki)) as server:
        result = wait(server.url(), validate_certs=False)
    assert result["ready"]


def test_tls_client_certificate(pki):
    with ScriptedServer([200], tls=server_tls(pki, require_client_cert=True)) as server:
        without = wait(server.url(), ca_path=pki["ca"], failure_threshold=1)
        with_cert = wait(server.url(), ca_path=pki["ca"], client_cert=pki["cert"], client_key=pki["key"])
    assert not without["ready"] and without["history"][0]["error"].startswith("TLS error")
    assert with_cert["ready"]


# --- several URLs, history, validation ----------------------------------------------------

def test_several_urls_must_all_be_ready():
    with ScriptedServer([200]) as fast, ScriptedServer([503, 503, 200]) as slow:
        result = wait([fast.url(), slow.url(), fast.url()], failure_threshold=5)
    assert result["ready"] and result["attempts"] == 4
    assert [(u["url"], u["attempts"]) for u in result["urls"]] == [(fast.url(), 1), (slow.url(), 3)]
    assert len(fast.requests) == 1  # a ready URL is not probed again


def test_several_urls_one_never_ready_names_it():
    with ScriptedServer([200]) as good, ScriptedServer([step(503, {"status": "down"})]) as bad:
        result = wait([good.url(), bad.url()], failure_threshold=2)
    assert not result["ready"] and result["failed_url"] == bad.url()
    assert result["json"] == {"status": "down"} and bad.url() in result["reason"]
    assert [u["ready"] for u in result["urls"]] == [True, False]


def test_history_is_bounded_by_history_size():
    with ScriptedServer([503, 503, 503, 503, 503, 200]) as server:
        result = wait(server.url(), failure_threshold=10, history_size=3)
        none = wait(server.url(), history_size=0)
    assert result["attempts"] == 6
    assert [h["status"] for h in result["history"]] == [503, 503, 200]
    assert set(result["history"][0]) == {"url", "status", "latency_ms", "ok", "error"}
    assert none["history"] == []


def test_body_is_bounded():
    with ScriptedServer([step(503, "x" * 5000)]) as server:
        result = wait(server.url(), failure_threshold=1)
    assert len(result["body"]) == readyz.BODY_SNIPPET_CHARS


@pytest.mark.parametrize("options, message", [
    ({"period": 0}, "period must be greater than 0"),
    ({"timeout": -1}, "timeout must be greater than 0"),
    ({"deadline": 0}, "deadline must be greater than 0"),
    ({"success_threshold": 0}, "success_threshold must be 1 or more"),
    ({"failure_threshold": 0}, "failure_threshold must be 1 or more"),
    ({"initial_delay": -1}, "initial_delay must be 0 or more"),
    ({"initial_delay": 5, "deadline": 5}, "initial_delay .5. must be less than deadline"),
    ({"history_size": -1}, "history_size must be 0 or more"),
    ({"status_codes": []}, "status_codes must list at least one"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path /nonexistent/ca.pem does not exist"),
    ({"bogus": 1}, "unknown options: bogus"),
])
def test_invalid_options_are_refused(options, message):
    with pytest.raises(readyz.ReadyzError, match=message):
        readyz.wait_ready("http://127.0.0.1:1/readyz", **options)


@pytest.mark.parametrize("urls", [[], ["ftp://host/readyz"], ["127.0.0.1:3000/readyz"]])
def test_invalid_urls_are_refused(urls):
    with pytest.raises(readyz.ReadyzError, match="url"):
        readyz.wait_ready(urls)
