#!/usr/bin/env python3
"""Constant GET and POST traffic against one URL base; prints counts as JSON.

Runs where the traffic should come from (the tests copy it to the client
container). Stdlib only. Each worker thread keeps its own keep-alive
connection, like a browser, and reconnects after errors. Like a browser, it
re-sends a request once when a *reused* keep-alive connection turns out to
have been closed by the server before any byte of response (RFC 9112 9.3.1;
nginx closes idle keep-alive connections on every graceful reload): those
are counted as `stale_keepalive_retries`, not as failures. Any other error,
or a second failure, is a failed request. Stops after
--seconds, or when --stop-file appears. Latency percentiles are reported per
phase: a phase starts when --phase-file's content changes (e.g. "deploy").

  loadgen.py https://10.213.40.10 --seconds 60 --workers 8
"""
import argparse
import http.client
import json
import os
import ssl
import threading
import time
import urllib.parse


# The server closed a reused keep-alive connection before answering.
STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def percentile(values, pct):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * pct / 100))] * 1000, 1)


class Worker(threading.Thread):
    def __init__(self, args, index, results, lock):
        super().__init__(daemon=True)
        self.args, self.index, self.results, self.lock = args, index, results, lock
        url = urllib.parse.urlsplit(args.base)
        self.host, self.port, self.tls = url.hostname, url.port, url.scheme == "https"
        self.conn = None
        self.used = 0

    def connect(self):
        if self.tls:
            ctx = ssl._create_unverified_context()  # the lab's self-signed certificate
            return http.client.HTTPSConnection(self.host, self.port or 443, timeout=self.args.timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port or 80, timeout=self.args.timeout)

    def record(self, phase, kind, outcome, latency):
        with self.lock:
            bucket = self.results.setdefault(phase, {"requests": 0, "failed": 0, "by_kind": {}, "latencies": [],
                                                     "stale_keepalive_retries": 0})
            if outcome == "stale-retry":
                bucket["stale_keepalive_retries"] += 1
                return
            bucket["requests"] += 1
            key = "%s %s" % (kind, outcome)
            if outcome != "ok":
                bucket["failed"] += 1
                bucket["by_kind"][key] = bucket["by_kind"].get(key, 0) + 1
            bucket["latencies"].append(latency)

    def send(self, kind, n):
        if self.conn is None:
            self.conn = self.connect()
            self.used = 0
        if kind == "POST":
            body = json.dumps({"name": "load-%d-%d" % (self.index, n)})
            self.conn.request("POST", "/api/items", body, {"Content-Type": "application/json"})
        else:
            self.conn.request("GET", "/version")
        resp = self.conn.getresponse()
        resp.read()
        self.used += 1
        if resp.getheader("connection", "").lower() == "close":
            self.drop()
        return "ok" if 200 <= resp.status < 300 else str(resp.status)

    def drop(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def run(self):
        n = 0
        while not self.args.stopped():
            n += 1
            kind = "POST" if n % 4 == 0 else "GET"
            phase = self.args.phase()
            start = time.monotonic()
            try:
                try:
                    outcome = self.send(kind, n)
                except STALE_CONNECTION_ERRORS:
                    if self.conn is None or not self.used:
                        raise  # a fresh connection failing is a real failure
                    self.record(phase, kind, "stale-retry", 0)
                    self.drop()
                    outcome = self.send(kind, n)
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
                self.drop()
            self.record(phase, kind, outcome, time.monotonic() - start)
            if self.args.interval:
                time.sleep(self.args.interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--interval", type=float, default=0.02, help="pause between a worker's requests")
    parser.add_argument("--stop-file", default="")
    parser.add_argument("--phase-file", default="")
    parser.add_argument("--out", default="", help="also write the JSON result here")
    args = parser.parse_args()
    end = time.monotonic() + args.seconds
    args.stopped = lambda: time.monotonic() > end or (args.stop_file and os.path.exists(args.stop_file))

    def phase():
        if args.phase_file and os.path.exists(args.phase_file):
            with open(args.phase_file) as handle:
                return handle.read().strip() or "default"
        return "default"
    args.phase = phase

    results, lock = {}, threading.Lock()
    workers = [Worker(args, i, results, lock) for i in range(args.workers)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    summary = {"seconds": round(time.monotonic() - started, 1), "phases": {}}
    total = failed = stale = 0
    for name, bucket in results.items():
        lat = bucket.pop("latencies")
        bucket["p50_ms"], bucket["p99_ms"] = percentile(lat, 50), percentile(lat, 99)
        summary["phases"][name] = bucket
        total += bucket["requests"]
        failed += bucket["failed"]
        stale += bucket["stale_keepalive_retries"]
    summary["requests"], summary["failed"], summary["stale_keepalive_retries"] = total, failed, stale
    text = json.dumps(summary)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)
    print(text)


if __name__ == "__main__":
    main()
