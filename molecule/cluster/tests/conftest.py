"""Fixtures for the cluster scenario: the client container and the probe on it."""
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
import testinfra

INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", "")
LB = "10.213.40.10"  # cl-lb's fixed address on webstack-cluster
APP_NODES = ["cl-app-1", "cl-app-2", "cl-app-3"]
PROBE = Path(__file__).with_name("probe.py")
ENGINE = "podman" if "podman" in os.environ.get("DOCKER_HOST", "podman") else "docker"


def host(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


@pytest.fixture(scope="session")
def client():
    c = host("cl-client")
    for src in (PROBE, PROBE.with_name("sio-probe.js")):
        c.ansible("copy", "src=%s dest=/opt/%s mode=0755" % (src, src.name), become=True, check=False)
    return c


@pytest.fixture(scope="session")
def probe(client):
    def run(*args):
        cmd = "python3 /opt/probe.py %s %s" % (LB, " ".join(shlex.quote(str(a)) for a in args))
        out = client.run(cmd)
        assert out.rc == 0, out.stderr
        return json.loads(out.stdout)
    return run


@pytest.fixture(scope="session")
def nodes():
    return {name: host(name) for name in APP_NODES}


def engine(*args):
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, check=True).stdout


def pm2_online(node_host, app="webstack"):
    out = node_host.run("pm2-webstack jlist")
    assert out.rc == 0, out.stderr
    return [p for p in json.loads(out.stdout) if p["name"] == app and p["pm2_env"]["status"] == "online"]
