"""Failures the stack must ride out: crashed workers, a dead PM2 daemon, reboots."""
import json
import os
import subprocess
import time
from pathlib import Path

from conftest import APP_NODES, INVENTORY, LB, engine, host, pm2_online

SCENARIO = Path(__file__).resolve().parents[1]


def wait_for(predicate, timeout=90, step=2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except (AssertionError, ValueError):
            pass
        time.sleep(step)
    return False


def test_killed_worker_is_restarted_and_traffic_keeps_flowing(nodes, probe, client):
    node = nodes["cl-app-2"]
    victim = pm2_online(node)[0]
    node.run("kill -9 %d" % victim["pid"])
    result = probe("steady", 5)
    assert result["ok"] > 0
    assert wait_for(lambda: len(pm2_online(node)) == 2)
    assert victim["pid"] not in [p["pid"] for p in pm2_online(node)]


def test_dead_pm2_daemon_is_restarted_by_systemd(nodes):
    node = nodes["cl-app-1"]
    pid = node.run("cat /srv/webstack/.pm2/pm2.pid").stdout.strip()
    assert pid.isdigit()
    node.run("kill -9 %s" % pid)
    assert wait_for(lambda: node.service("pm2-webstack").is_running
                    and node.run("cat /srv/webstack/.pm2/pm2.pid").stdout.strip() not in ("", pid)
                    and len(pm2_online(node)) == 1, timeout=120)


def test_node_serves_again_after_its_container_restarts(probe):
    engine("restart", "cl-app-1")
    assert wait_for(lambda: "cl-app-1" in probe("nodes", 30)["served"], timeout=180), \
        "cl-app-1 did not come back behind the LB after a restart"
    assert sorted(probe("nodes", 60)["served"]) == APP_NODES


def test_restarted_pm2_unit_comes_back_on_its_own(nodes):
    node = nodes["cl-app-2"]
    assert node.run("systemctl restart pm2-webstack").rc == 0
    assert wait_for(lambda: len(pm2_online(node)) == 2, timeout=120)


def test_stopping_one_app_node_costs_no_failed_get(client, probe):
    client.run("rm -f /tmp/steady.json; nohup python3 /opt/probe.py %s steady 40 > /tmp/steady.json 2>/dev/null &" % LB)
    time.sleep(5)
    engine("stop", "cl-app-3")
    time.sleep(20)
    engine("start", "cl-app-3")
    assert wait_for(lambda: client.run("cat /tmp/steady.json").stdout.strip() != "", timeout=90)
    result = json.loads(client.run("cat /tmp/steady.json").stdout)
    assert result["ok"] > 50 and result["failed"] == 0, result
    assert wait_for(lambda: "cl-app-3" in probe("nodes", 30)["served"], timeout=180)


def test_invalid_nginx_change_is_refused_and_the_lb_keeps_serving(probe):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    play = subprocess.run(
        ["ansible-playbook", "-i", os.path.dirname(INVENTORY), str(SCENARIO / "lb.yml"),
         "-e", "nginx_lb_extra_http_config='bogus_directive on;'"],
        capture_output=True, text=True, env=env, check=False)
    assert play.returncode != 0
    output = play.stdout + play.stderr
    assert "bogus_directive" in output and ("unknown directive" in output or "nginx -t refused" in output), output[-3000:]
    assert "bogus_directive" not in host("cl-lb").run("cat /etc/nginx/conf.d/*.conf /etc/nginx/sites-enabled/* 2>/dev/null").stdout
    assert sorted(probe("nodes", 30)["served"]) == APP_NODES
