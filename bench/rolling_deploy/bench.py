#!/usr/bin/env python3
"""Rolling deploy under load, and a negative control; prints figures.

Runs on the cluster scenario's containers (run.sh brings them up). A load
generator on cl-client sends GET and POST through the LB the whole time;
phases: `before` (steady state), `deploy` (playbooks/rolling_deploy.yml to a
new release across the three app nodes), `after`. Then a negative control
shows the bench sees failures when there are some: traffic straight to one
node (no LB, no drain) while its PM2 unit is restarted, as a single server
restarted by hand would see.
Prints requests, failures by kind, p50/p99 per phase, wall time per node
and in total. Never passes or fails on a time.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LB = "https://10.213.40.10"
ENGINE = os.environ.get("WEBSTACK_ENGINE", "podman")
APP_NODES = ["cl-app-1", "cl-app-2", "cl-app-3"]


def sh(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


def on(container, command):
    return sh(ENGINE, "exec", container, "sh", "-c", command)


def set_phase(name):
    on("cl-client", "echo %s > /tmp/bench-phase" % name)


def new_release():
    path = Path(tempfile.mkdtemp(prefix="bench-release-")) / "app"
    shutil.copytree(ROOT / "examples/app", path, ignore=shutil.ignore_patterns("node_modules"))
    (path / "RELEASE_NOTE").write_text("bench %s\n" % uuid.uuid4())
    return path


def deploy(inventory, release):
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    start = time.monotonic()
    result = sh("ansible-playbook", "-i", inventory, str(ROOT / "playbooks/rolling_deploy.yml"),
                "-e", "app_release=%s" % release, env=env)
    total = time.monotonic() - start
    per_node = {}
    try:
        report = json.loads(result.stdout)
        for play in report["plays"]:
            if not play["play"]["name"].startswith("Roll the release out"):
                continue
            hosts = {h for task in play["tasks"] for h in task["hosts"]}
            duration = play["play"]["duration"]
            span = _seconds(duration["end"]) - _seconds(duration["start"])
            for host in hosts:
                per_node[host] = round(span, 1)
    except (ValueError, KeyError) as exc:
        print("could not read per-node times: %s" % exc, file=sys.stderr)
    return result.returncode, round(total, 1), per_node, result.stdout[-2000:]


def _seconds(stamp):
    from datetime import datetime
    return datetime.strptime(stamp.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def control_restart():
    """Negative control: load straight at cl-app-1 while its PM2 unit restarts."""
    on("cl-client", "rm -f /tmp/bench-control.json; nohup python3 /opt/loadgen.py http://10.213.40.11:3000 "
       "--seconds 25 --workers 6 --out /tmp/bench-control.json >/dev/null 2>&1 &")
    time.sleep(5)
    on("cl-app-1", "systemctl restart pm2-webstack")
    for _ in range(90):
        out = on("cl-client", "cat /tmp/bench-control.json")
        if out.returncode == 0 and out.stdout.strip():
            return json.loads(out.stdout)
        time.sleep(1)
    return {"requests": 0, "failed": None, "phases": {}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", required=True, help="the cluster scenario's inventory directory")
    parser.add_argument("--steady-seconds", type=float, default=15)
    args = parser.parse_args()

    sh(ENGINE, "cp", str(ROOT / "bench/tools/loadgen.py"), "cl-client:/opt/loadgen.py")
    on("cl-client", "rm -f /tmp/bench-stop /tmp/bench-load.json")
    set_phase("before")
    on("cl-client", "nohup python3 /opt/loadgen.py %s --seconds 3600 --workers 6 --stop-file /tmp/bench-stop "
       "--phase-file /tmp/bench-phase --out /tmp/bench-load.json >/dev/null 2>&1 &" % LB)
    time.sleep(args.steady_seconds)

    set_phase("deploy")
    rc, total, per_node, tail = deploy(args.inventory, new_release())
    set_phase("after")
    time.sleep(5)

    on("cl-client", "touch /tmp/bench-stop")
    for _ in range(60):
        out = on("cl-client", "cat /tmp/bench-load.json")
        if out.returncode == 0 and out.stdout.strip():
            break
        time.sleep(1)
    load = json.loads(out.stdout)
    phases = load["phases"]
    control = control_restart()

    def line(name):
        p = phases.get(name, {"requests": 0, "failed": 0, "by_kind": {}, "p50_ms": None, "p99_ms": None,
                              "stale_keepalive_retries": 0})
        return ("%-8s requests %6d  failed %4d  p50 %6s ms  p99 %6s ms  failures by kind %s  "
                "stale keep-alive re-sends %d" % (name, p["requests"], p["failed"], p["p50_ms"], p["p99_ms"],
                                                 json.dumps(p["by_kind"]), p["stale_keepalive_retries"]))

    print("rolling deploy across %d nodes under load (6 clients, GET /version + POST /api/items through the LB)"
          % len(APP_NODES))
    print("deploy playbook exit code %d; wall time total %.1f s; per node %s" % (
        rc, total, json.dumps(dict(sorted(per_node.items())))))
    for name in ("before", "deploy", "after"):
        print(line(name))
    kinds = {}
    for phase in control.get("phases", {}).values():
        for kind, count in phase["by_kind"].items():
            kinds[kind] = kinds.get(kind, 0) + count
    print("failed requests during the deploy: %s" % phases.get("deploy", {}).get("failed"))
    print("negative control (straight to cl-app-1, PM2 unit restarted, no LB, no drain): requests %s, failed %s %s"
          % (control.get("requests"), control.get("failed"), json.dumps(kinds)))
    if rc != 0:
        print(tail, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
