"""nginx_lb verified from outside: a client container talks to lb-1.

The tests run in file order: traffic checks first, then the ones that change
things (refused configuration, drain/undrain, a stopped backend).
"""
import collections
import json
import os
import subprocess

import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SCENARIO = os.environ["MOLECULE_SCENARIO_DIRECTORY"]
URL = "https://lb-1"
CONF = "/etc/nginx/conf.d/webstack-lb.conf"
UPSTREAM = "/etc/nginx/conf.d/webstack-upstream.conf"
DRAINED = "/etc/nginx/webstack-drained.json"


def _host(name):
    return testinfra.get_host("ansible://" + name, ansible_inventory=INVENTORY)


client = _host("lb-client")
lb = _host("lb-1")
app1 = _host("lb-app-1")


def curl(args):
    return client.run("curl -sk --max-time 10 " + args)


def backends(count, path="/version"):
    """Which backend answered each of `count` sequential requests (and any non-200)."""
    out = client.check_output(
        "for i in $(seq %d); do curl -sk --max-time 10 -o /tmp/body -w '%%{http_code} ' %s%s; "
        "cat /tmp/body; done" % (count, URL, path))
    return collections.Counter(line.strip() for line in out.splitlines() if line.strip())


def playbook(name, *extra):
    cmd = ["ansible-playbook", "-i", INVENTORY, os.path.join(SCENARIO, name)] + list(extra)
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    return done.returncode, done.stdout + done.stderr


def recap_changed(output, host):
    line = [ln for ln in output.splitlines() if ln.startswith(host + " ") and "changed=" in ln][-1]
    return int(line.split("changed=")[1].split()[0])


def test_http_redirects_to_https_but_healthz_answers():
    head = curl("-I http://lb-1/some/page?x=1").stdout
    assert head.startswith("HTTP/1.1 301")
    assert "Location: https://lb-1/some/page?x=1" in head
    health = curl("-w ' %{http_code}' http://lb-1/healthz").stdout
    assert health == "ok\n 200"


def test_security_headers_and_no_version():
    head = curl("-I %s/" % URL).stdout.lower()
    assert "strict-transport-security: max-age=31536000" in head
    assert "x-content-type-options: nosniff" in head
    assert "x-frame-options: sameorigin" in head
    assert "referrer-policy: strict-origin-when-cross-origin" in head
    server = [ln for ln in head.splitlines() if ln.startswith("server:")]
    assert server == ["server: nginx"]
    error_page = curl("-I http://lb-1/").stdout  # nginx's own responses too
    assert "Server: nginx\r" in error_page or "Server: nginx\n" in error_page


def test_upstream_weights_follow_worker_counts():
    upstream = lb.file(UPSTREAM).content_string
    assert "least_conn;" in upstream
    assert "weight=1 max_fails=3 fail_timeout=5s; # lb-app-1" in upstream
    assert "weight=2 max_fails=3 fail_timeout=5s; # lb-app-2" in upstream
    assert "keepalive 32;" in upstream and "keepalive_timeout 4s;" in upstream
    assert " down" not in upstream


def test_both_backends_serve_about_one_to_two():
    seen = backends(30)
    assert set(seen) == {"200 lb-app-1", "200 lb-app-2"}, seen
    assert 5 <= seen["200 lb-app-1"] < seen["200 lb-app-2"], seen


def test_forwarded_headers_reach_the_app():
    headers = json.loads(curl("%s/headers" % URL).stdout)
    client_ip = client.interface("eth0").addresses[0]
    assert headers["X-Forwarded-For"] == client_ip
    assert headers["X-Real-IP"] == client_ip
    assert headers["X-Forwarded-Proto"] == "https"
    assert headers["Host"] == "lb-1"
    assert "Connection" not in headers  # keepalive towards the app


def test_websocket_upgrade_is_passed_on_socketio():
    out = curl("--http1.1 -i -N --max-time 5 -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
               "-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "
               "'%s/socket.io/?EIO=4&transport=websocket'" % URL).stdout
    assert out.startswith("HTTP/1.1 101"), out
    assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in out
    assert "X-Backend: lb-app-" in out


def test_rate_limit_refuses_with_429():
    # One curl, 30 requests on one connection: far faster than 5 r/s.
    codes = client.check_output(
        "curl -sk -w '%%{http_code}\\n' $(for i in $(seq 30); do echo -o /dev/null %s/api/item; done)" % URL).split()
    counted = collections.Counter(codes)
    assert set(counted) == {"200", "429"}, counted
    assert counted["200"] >= 5 and counted["429"] >= 10, counted
    assert curl("-o /dev/null -w '%%{http_code}' %s/other" % URL).stdout == "200"  # other paths unlimited


def test_body_over_limit_gets_413():
    client.check_output("head -c 2000000 /dev/zero > /tmp/big; head -c 100000 /dev/zero > /tmp/small")
    assert curl("-o /dev/null -w '%%{http_code}' --data-binary @/tmp/big %s/upload" % URL).stdout == "413"
    assert curl("-w ' %%{http_code}' --data-binary @/tmp/small %s/upload" % URL).stdout.endswith(" 100000\n 200")


def test_stub_status_on_loopback_only():
    assert curl("http://lb-1:8081/nginx_status").rc == 7  # connection refused from outside
    status = lb.check_output("python3 -c \"import urllib.request as u; "
                             "print(u.urlopen('http://127.0.0.1:8081/nginx_status').read().decode())\"")
    assert status.startswith("Active connections:")
    assert lb.socket("tcp://127.0.0.1:8081").is_listening
    assert not lb.socket("tcp://0.0.0.0:8081").is_listening


def test_preflight_refuses_polling_without_sticky_balancing_and_changes_nothing():
    before = lb.file(CONF).sha256sum
    rc, out = playbook("converge.yml", "-e", "app_socketio_polling=true")
    assert rc != 0
    assert "nginx_lb_balancing is 'least_conn' but Socket.IO long-polling is enabled" in out
    assert "changed=0" in [ln for ln in out.splitlines() if ln.startswith("lb-1 ")][-1]
    assert lb.file(CONF).sha256sum == before


def test_invalid_change_is_refused_and_nginx_keeps_serving():
    before = lb.file(CONF).sha256sum
    rc, out = playbook("converge.yml", "-e", "nginx_lb_extra_http_config='bogus_directive on;'")
    assert rc != 0
    assert 'unknown directive "bogus_directive"' in out.replace('\\"', '"')
    assert lb.file(CONF).sha256sum == before
    assert "bogus_directive" not in lb.file(CONF).content_string
    assert lb.run("nginx -t").rc == 0
    assert curl("-o /dev/null -w '%%{http_code}' %s/version" % URL).stdout == "200"


def test_drain_survives_converge_and_undrain_restores():
    rc, out = playbook("lb_action.yml", "-e", "lb_batch=lb-app-2", "-e", "lb_action=drain")
    assert rc == 0, out
    assert json.loads(lb.file(DRAINED).content_string) == ["lb-app-2"]
    assert "weight=2 max_fails=3 fail_timeout=5s down; # lb-app-2" in lb.file(UPSTREAM).content_string
    assert backends(12) == {"200 lb-app-1": 12}

    # A converge keeps the drained node down, and changes nothing.
    rc, out = playbook("converge.yml")
    assert rc == 0, out
    assert recap_changed(out, "lb-1") == 0, out
    assert backends(6) == {"200 lb-app-1": 6}

    # The last serving node cannot be drained by mistake.
    rc, out = playbook("lb_action.yml", "-e", "lb_batch=lb-app-1", "-e", "lb_action=drain")
    assert rc != 0 and "would leave no app node serving" in out

    rc, out = playbook("lb_action.yml", "-e", "lb_batch=lb-app-2", "-e", "lb_action=undrain")
    assert rc == 0, out
    assert json.loads(lb.file(DRAINED).content_string) == []
    assert " down" not in lb.file(UPSTREAM).content_string
    assert set(backends(12)) == {"200 lb-app-1", "200 lb-app-2"}


def test_dead_backend_is_skipped():
    app1.check_output("systemctl stop webstack-test-backend")
    try:
        seen = backends(20)
        assert seen == {"200 lb-app-2": 20}, seen
    finally:
        app1.check_output("systemctl start webstack-test-backend")
