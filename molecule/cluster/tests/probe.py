#!/usr/bin/env python3
"""Runs on cl-client: requests through the LB, printing one JSON result.

The tests copy this file to the client so that many requests cost one
round trip from the controller. Every request goes to the LB's public
address, the way a browser arrives.
"""
import json
import sys
import time
import uuid

import requests
import urllib3

urllib3.disable_warnings()
LB = sys.argv[1]
BASE = "https://%s" % LB


def get(path, **kw):
    return requests.get(BASE + path, verify=False, timeout=10, **kw)


def post(path, **kw):
    return requests.post(BASE + path, verify=False, timeout=10, **kw)


def served_by(response):
    """The app node that answered (the app sets X-Served-By: <node>/<pid>)."""
    return response.headers.get("X-Served-By", "?").split("/")[0]


def nodes(count):
    served = {}
    for _ in range(int(count)):
        r = get("/version")
        r.raise_for_status()
        node = r.json()["node"]
        served[node] = served.get(node, 0) + 1
    return {"served": served}


def spread(session, method, path, want, tries=60, **kw):
    """Repeat a request until every node in `want` answered it; return answers per node."""
    answers = {}
    for _ in range(tries):
        r = session.request(method, BASE + path, verify=False, timeout=10, **kw)
        node = served_by(r)
        answers.setdefault(node or "?", []).append(r.status_code)
        if set(want) <= set(answers):
            break
    return answers


def session_across(want):
    s = requests.Session()
    user = "user-%s" % uuid.uuid4().hex[:8]
    r = s.post(BASE + "/api/session/login", json={"user": user}, verify=False, timeout=10)
    r.raise_for_status()
    created_on = r.json()["node"]
    seen = {}
    for _ in range(60):
        r = s.get(BASE + "/api/session", verify=False, timeout=10)
        body = r.json()
        seen.setdefault(body.get("node", "?"), []).append([r.status_code, body.get("user") == user])
        if set(want) <= set(seen):
            break
    return {"created_on": created_on, "seen": seen}


def upload_across(want):
    payload = uuid.uuid4().bytes * 1000
    r = post("/api/uploads?name=probe.bin", data=payload, headers={"Content-Type": "application/octet-stream"})
    r.raise_for_status()
    key = r.json()["key"]
    seen = {}
    for _ in range(60):
        r = get("/api/uploads/%s" % key)
        node = served_by(r)
        seen.setdefault(node, []).append([r.status_code, r.content == payload])
        if set(want) <= set(seen):
            break
    return {"seen": seen}


def replica_read():
    name = "probe-%s" % uuid.uuid4().hex[:8]
    r = post("/api/items", json={"name": name})
    r.raise_for_status()
    item = r.json()
    for attempt in range(50):
        r = get("/api/items/%s?source=replica" % item["id"])
        if r.status_code == 200:
            return {"written": item, "read": r.json(), "attempts": attempt + 1}
        time.sleep(0.2)
    return {"written": item, "read": None, "status": r.status_code}


def jwt_across(want):
    r = post("/api/token", json={"user": "jwt-user"})
    r.raise_for_status()
    token = r.json()["token"]
    seen = {}
    for _ in range(60):
        r = get("/api/token/verify", headers={"Authorization": "Bearer " + token})
        body = r.json()
        seen.setdefault(body.get("node", "?"), []).append([r.status_code, body.get("user")])
        if set(want) <= set(seen):
            break
    bad = get("/api/token/verify", headers={"Authorization": "Bearer " + token[:-4] + "AAAA"})
    return {"seen": seen, "tampered_status": bad.status_code}


def steady(seconds):
    """Constant requests for `seconds`; count failures (non-2xx or errors)."""
    end = time.time() + float(seconds)
    ok = failed = 0
    errors = {}
    while time.time() < end:
        try:
            r = get("/version")
            if r.status_code == 200:
                ok += 1
            else:
                failed += 1
                errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1
        except requests.RequestException as exc:
            failed += 1
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
    return {"ok": ok, "failed": failed, "errors": errors}


COMMANDS = {
    "nodes": lambda args: nodes(args[0]),
    "session": lambda args: session_across(args),
    "upload": lambda args: upload_across(args),
    "replica": lambda args: replica_read(),
    "jwt": lambda args: jwt_across(args),
    "steady": lambda args: steady(args[0]),
}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[2]](sys.argv[3:])))
