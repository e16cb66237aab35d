#!/usr/bin/env python3
"""A Sentinel-aware Redis client (redis-py), the way the app connects.

Runs on a client host with python3-redis. Settings come from the same
environment the app gets (the redis_app_env filter): REDIS_SENTINELS,
REDIS_MASTER_NAME, REDIS_USERNAME, REDIS_PASSWORD, REDIS_SENTINEL_PASSWORD.

  client.py check   write, read and pub/sub as the app user through Sentinel;
                    prints JSON
  client.py watch   write in a loop (every 50 ms) and listen for +switch-master
                    on the Sentinels; prints JSON timestamps (time.time(),
                    comparable with the container host's clock) when the
                    writes first failed, when Sentinel announced the new
                    master and when a write first succeeded again
"""
import argparse
import json
import os
import sys
import threading
import time
import uuid

import redis
from redis.sentinel import Sentinel

TIMEOUT = 0.5


def settings():
    sentinels = []
    for pair in os.environ["REDIS_SENTINELS"].split(","):
        host, port = pair.rsplit(":", 1)
        sentinels.append((host, int(port)))
    return {
        "sentinels": sentinels,
        "name": os.environ.get("REDIS_MASTER_NAME", "webstack"),
        "username": os.environ["REDIS_USERNAME"],
        "password": os.environ["REDIS_PASSWORD"],
        "sentinel_password": os.environ.get("REDIS_SENTINEL_PASSWORD") or None,
    }


def sentinel_client(cfg):
    return Sentinel(cfg["sentinels"], socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                    sentinel_kwargs={"password": cfg["sentinel_password"], "socket_timeout": TIMEOUT,
                                     "socket_connect_timeout": TIMEOUT})


def master_client(cfg, sentinel):
    return sentinel.master_for(cfg["name"], username=cfg["username"], password=cfg["password"],
                               socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)


def check(cfg):
    sentinel = sentinel_client(cfg)
    master = master_client(cfg, sentinel)
    key = "check:" + uuid.uuid4().hex
    out = {"master": list(sentinel.discover_master(cfg["name"]))}
    master.set(key, "v1", ex=60)
    out["read_back"] = master.get(key).decode()
    out["whoami"] = master.execute_command("ACL", "WHOAMI").decode()
    out["role"] = master.execute_command("ROLE")[0].decode()
    # Pub/sub through the master, as the socket.io adapter uses it.
    channel = "check-channel:" + uuid.uuid4().hex
    sub = master.pubsub()
    sub.subscribe(channel)
    deadline = time.time() + 5
    while time.time() < deadline:  # wait for the subscribe confirmation
        msg = sub.get_message(timeout=0.2)
        if msg and msg["type"] == "subscribe":
            break
    receivers = master.publish(channel, "hello")
    got = None
    while time.time() < deadline and got is None:
        msg = sub.get_message(timeout=0.2)
        if msg and msg["type"] == "message":
            got = msg["data"].decode()
    sub.close()
    out["pubsub"] = {"receivers": receivers, "received": got}
    denied = {}
    for cmd in (("FLUSHALL",), ("CONFIG", "GET", "maxmemory"), ("DEBUG", "SLEEP", "0"), ("KEYS", "*"), ("SHUTDOWN",)):
        try:
            master.execute_command(*cmd)
            denied[cmd[0]] = "ALLOWED"
        except redis.exceptions.NoPermissionError as exc:
            denied[cmd[0]] = "NOPERM: %s" % exc
        except redis.exceptions.ResponseError as exc:
            denied[cmd[0]] = "ERROR: %s" % exc
    out["denied"] = denied
    master.delete(key)
    return out


def watch(cfg, seconds, settle):
    """Write every 50 ms until recovered after a failure (plus ``settle`` s) or ``seconds`` pass."""
    sentinel = sentinel_client(cfg)
    master = master_client(cfg, sentinel)
    result = {"start": time.time(), "initial_master": list(sentinel.discover_master(cfg["name"])),
              "first_failure": None, "switch_master": None, "switch_master_message": None,
              "recovered": None, "new_master": None, "writes_ok": 0, "writes_failed": 0}
    stop = threading.Event()

    def listen(host, port):
        try:
            conn = redis.Redis(host=host, port=port, password=cfg["sentinel_password"], socket_timeout=None,
                               socket_connect_timeout=TIMEOUT)
            sub = conn.pubsub()
            sub.subscribe("+switch-master")
            while not stop.is_set():
                msg = sub.get_message(timeout=0.2)
                if msg and msg["type"] == "message" and result["switch_master"] is None:
                    result["switch_master"] = time.time()
                    result["switch_master_message"] = msg["data"].decode()
        except redis.exceptions.RedisError:
            pass  # a Sentinel we cannot reach; the others report

    threads = [threading.Thread(target=listen, args=s, daemon=True) for s in cfg["sentinels"]]
    for t in threads:
        t.start()
    deadline = time.time() + seconds
    i = 0
    while time.time() < deadline:
        i += 1
        try:
            master.set("watch:counter", i)
            result["writes_ok"] += 1
            if result["first_failure"] and not result["recovered"]:
                result["recovered"] = time.time()
                result["new_master"] = list(sentinel.discover_master(cfg["name"]))
            if result["recovered"] and time.time() > result["recovered"] + settle and result["switch_master"]:
                break
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                redis.exceptions.ReadOnlyError, redis.exceptions.ResponseError) as exc:
            result["writes_failed"] += 1
            result.setdefault("first_error", "%s: %s" % (type(exc).__name__, exc))
            if result["first_failure"] is None:
                result["first_failure"] = time.time()
        time.sleep(0.05)
    stop.set()
    result["end"] = time.time()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "watch"])
    parser.add_argument("--seconds", type=float, default=60, help="watch: give up after this long")
    parser.add_argument("--settle", type=float, default=1, help="watch: keep writing this long after recovering")
    args = parser.parse_args()
    cfg = settings()
    out = check(cfg) if args.command == "check" else watch(cfg, args.seconds, args.settle)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
