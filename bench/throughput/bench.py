#!/usr/bin/env python3
"""Requests per second through the LB for one node with one, then two, PM2 workers.

Runs on the cluster scenario's containers (run.sh brings them up). The other
app nodes are drained on the LB so cl-app-1 serves alone; the load generator
on cl-client sends GET /version through the LB with many connections; then
cl-app-1 is scaled to two workers and measured again. Prints both rates and
the ratio, then restores the node and the LB. Numbers, never pass/fail.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = os.environ.get("WEBSTACK_ENGINE", "podman")
NODE, OTHERS = "cl-app-1", ["cl-app-2", "cl-app-3"]


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def on(container, command):
    return sh(ENGINE, "exec", container, "sh", "-c", command)


def lb_nodes(inventory, action, nodes):
    out = sh("ansible-playbook", "-i", inventory, str(Path(__file__).with_name("lb_nodes.yml")),
             "-e", "action=%s" % action, "-e", "nodes=%s" % ",".join(nodes))
    if out.returncode != 0:
        sys.exit("could not %s %s:\n%s" % (action, nodes, out.stdout[-2000:]))


def workers_online():
    out = on(NODE, "pm2-webstack jlist")
    return sum(1 for p in json.loads(out.stdout) if p["name"] == "webstack" and p["pm2_env"]["status"] == "online")


def scale(count):
    on(NODE, "pm2-webstack scale webstack %d >/dev/null" % count)
    for _ in range(60):
        if workers_online() == count:
            return
        time.sleep(1)
    sys.exit("%s did not reach %d workers" % (NODE, count))


def measure(seconds, clients):
    out = on("cl-client", "python3 /opt/loadgen.py https://10.213.40.10 --seconds %s --workers %d --interval 0"
             % (seconds, clients))
    result = json.loads(out.stdout)
    return result["requests"] / result["seconds"], result["failed"], result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sh(ENGINE, "cp", str(ROOT / "bench/tools/loadgen.py"), "cl-client:/opt/loadgen.py")
    before = workers_online()
    lb_nodes(args.inventory, "drain", OTHERS)
    try:
        rates = {1: [], 2: []}
        for _ in range(args.rounds):
            for count in (1, 2):
                scale(count)
                time.sleep(2)
                rps, failed, _ = measure(args.seconds, args.clients)
                rates[count].append(rps)
                print("%d worker(s): %.0f requests/s (failed %d)" % (count, rps, failed))
    finally:
        scale(before)
        lb_nodes(args.inventory, "undrain", OTHERS)
    one, two = max(rates[1]), max(rates[2])
    print("one node through the LB, GET /version, %d clients, best of %d x %.0f s:" % (args.clients, args.rounds, args.seconds))
    print("  1 worker : %.0f requests/s" % one)
    print("  2 workers: %.0f requests/s" % two)
    print("  ratio 2/1: %.2f  (host: %d vCPUs shared by every container, the load generator included)"
          % (two / one, os.cpu_count()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
