#!/usr/bin/env python3
"""Run the failover drill N times against the molecule `redis` containers.

Each run: start the Sentinel-aware writer (client.py watch) on redis-client,
stop redis-server on the current master, wait for the writer to recover,
start the old master again and wait until it is a connected replica.
Container clocks are the host's clock, so times compare directly.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

NODES = {"10.213.20.11": "redis-1", "10.213.20.12": "redis-2", "10.213.20.13": "redis-3"}
CLIENT = "redis-client"
# The scenario's test-only fixtures (molecule/redis/molecule.yml).
PASSWORD = "molecule-redis-default-9f3Kq2"
APP_PASSWORD = "molecule-redis-app-7Xw4pL"
SENTINEL_PASSWORD = "molecule-sentinel-5Tz8mR"
APP_ENV = {
    "REDIS_SENTINELS": ",".join("%s:26379" % ip for ip in NODES),
    "REDIS_MASTER_NAME": "webstack",
    "REDIS_USERNAME": "webstack",
    "REDIS_PASSWORD": APP_PASSWORD,
    "REDIS_SENTINEL_PASSWORD": SENTINEL_PASSWORD,
}


def exec_(engine, container, *argv, env=None, check=True):
    cmd = [engine, "exec"]
    for key, value in (env or {}).items():
        cmd += ["-e", "%s=%s" % (key, value)]
    cmd += [container] + list(argv)
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def cli(engine, host, port, password, *args):
    out = exec_(engine, CLIENT, "redis-cli", "--no-auth-warning", "-h", host, "-p", str(port), *args,
                env={"REDISCLI_AUTH": password}, check=False)
    return out.stdout


def master_now(engine):
    answers = {tuple(cli(engine, ip, 26379, SENTINEL_PASSWORD, "SENTINEL", "get-master-addr-by-name", "webstack").split())
               for ip in NODES}
    return answers.pop()[0] if len(answers) == 1 else None


def healthy(engine, master_ip):
    for ip in NODES:
        info = cli(engine, ip, 6379, PASSWORD, "INFO", "replication")
        if ip == master_ip:
            if "role:master" not in info or "connected_slaves:2" not in info:
                return False
        elif "role:slave" not in info or "master_link_status:up" not in info or "master_host:%s" % master_ip not in info:
            return False
    return True


def wait(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


def one_run(engine, number):
    master_ip = master_now(engine)
    if not master_ip or not wait(lambda: healthy(engine, master_ip), 90):
        sys.exit("run %d: the cluster is not healthy before the drill (master %s)" % (number, master_ip))
    cmd = [engine, "exec"] + sum((["-e", "%s=%s" % kv] for kv in APP_ENV.items()), []) + [
        CLIENT, "python3", "/usr/local/bin/webstack-redis-client", "watch", "--seconds", "60", "--settle", "1"]
    writer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    stopped = time.time()
    exec_(engine, NODES[master_ip], "systemctl", "stop", "redis-server")
    out, err = writer.communicate(timeout=120)
    result = json.loads(out) if out.strip() else {"error": err}
    exec_(engine, NODES[master_ip], "systemctl", "start", "redis-server")
    new_ip = (result.get("new_master") or [None])[0]
    rejoined = bool(new_ip) and wait(lambda: healthy(engine, new_ip), 90)
    promo = result["switch_master"] - stopped if result.get("switch_master") else None
    write = result["recovered"] - stopped if result.get("recovered") else None
    print("run %d: stopped %s (%s); +switch-master after %s; first write after %s; new master %s; "
          "old master rejoined as replica: %s" % (
              number, NODES[master_ip], master_ip, fmt(promo), fmt(write),
              NODES.get(new_ip, new_ip), "yes" if rejoined else "NO"), flush=True)
    return promo, write


def fmt(value):
    return "%.2f s" % value if value is not None else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", default="podman")
    args = parser.parse_args()
    exec_(args.engine, CLIENT, "true")
    subprocess.run([args.engine, "cp", "bench/redis_failover/client.py", CLIENT + ":/usr/local/bin/webstack-redis-client"],
                   check=True)
    exec_(args.engine, CLIENT, "chmod", "0755", "/usr/local/bin/webstack-redis-client")
    promos, writes = [], []
    for number in range(1, args.runs + 1):
        promo, write = one_run(args.engine, number)
        if promo is not None:
            promos.append(promo)
        if write is not None:
            writes.append(write)
    print("median over %d run(s): stop -> +switch-master %s; stop -> first successful write %s" % (
        args.runs, fmt(statistics.median(promos) if promos else None),
        fmt(statistics.median(writes) if writes else None)))


if __name__ == "__main__":
    main()
