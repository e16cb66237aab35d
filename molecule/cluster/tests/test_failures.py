"""Failures the stack must ride out: crashed workers, a dead PM2 daemon, reboots."""
import time

from conftest import APP_NODES, engine, pm2_online


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
