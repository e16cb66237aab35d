"""Helpers for the postgresql scenario's verifier.

Everything a user would see is checked from pg-client (group `app`) with
psql over the network; cluster internals (pg_stat_replication, backup_label)
are read on the database hosts through the container engine. Re-runs of the
role use ansible-playbook with an inventory built from molecule.yml, so a
test can change groups or variables the way a user edits an inventory.
"""
import copy
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import testinfra
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
MOLECULE = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
GROUP_VARS = MOLECULE["provisioner"]["inventory"]["group_vars"]["all"]
APP_PASSWORD = GROUP_VARS["postgresql_app_password"]
REPL_PASSWORD = GROUP_VARS["postgresql_replication_password"]
ADDRESS = {p["name"]: p["networks"][0]["ipv4_address"] for p in MOLECULE["platforms"]}
PRIMARY = "pg-primary"
REPLICAS = ["pg-replica-1", "pg-replica-2"]
DB_HOSTS = [PRIMARY] + REPLICAS


def inventory(groups=None, all_vars=None, host_vars=None):
    """The scenario's inventory as a dict; ``groups`` replaces group members."""
    members = {}
    for platform in MOLECULE["platforms"]:
        for group in platform.get("groups", []):
            members.setdefault(group, []).append(platform["name"])
    members.update(groups or {})
    hostvars = {p["name"]: {"ansible_connection": "community.docker.docker"} for p in MOLECULE["platforms"]}
    for name, extra in (host_vars or {}).items():
        hostvars[name].update(extra)
    variables = copy.deepcopy(GROUP_VARS)
    variables.update(all_vars or {})
    return {"all": {"hosts": hostvars, "vars": variables,
                    "children": {g: {"hosts": {h: {} for h in hs}} for g, hs in members.items()}}}


def start_playbook(inv, extra_vars=None, limit=None):
    """Start the scenario's converge playbook; returns (Popen, inventory file)."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="pg-inv-", delete=False)
    yaml.safe_dump(inv, handle)
    handle.close()
    cmd = ["ansible-playbook", "-i", handle.name, str(SCENARIO / "converge.yml")]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if limit:
        cmd += ["--limit", limit]
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(PROJECT / "build" / "collections"))
    env.update(ANSIBLE_PIPELINING="true", ANSIBLE_FORKS="10", ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_INTERPRETER_PYTHON="auto_silent", ANSIBLE_HOST_KEY_CHECKING="false")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return proc, handle.name


def finish(proc, path):
    out, _ = proc.communicate(timeout=900)
    os.unlink(path)
    return proc.returncode, out


def run_playbook(inv=None, extra_vars=None, limit=None):
    return finish(*start_playbook(inv or inventory(), extra_vars, limit))


def recap(out):
    """{host: {'ok': n, 'changed': n, ...}} from a PLAY RECAP."""
    result = {}
    for line in out.split("PLAY RECAP")[-1].splitlines():
        if ":" in line and "ok=" in line:
            host, counts = line.split(":", 1)
            result[host.strip()] = {k: int(v) for k, v in (kv.split("=", 1) for kv in counts.split() if "=" in kv)
                                    if v.isdigit()}
    return result


class Client:
    """psql from pg-client, the way the app connects."""

    def __init__(self):
        self.host = testinfra.get_host("docker://pg-client")

    def psql(self, sql, host=PRIMARY, user="webstack", password=APP_PASSWORD, db="webstack"):
        cmd = "PGPASSWORD=%s PGCONNECT_TIMEOUT=5 psql -X -v ON_ERROR_STOP=1 -At -h %s -U %s -d %s -c %s" % (
            _q(password), ADDRESS[host], _q(user), _q(db), _q(sql))
        return self.host.run(cmd)

    def value(self, sql, host=PRIMARY, **kw):
        result = self.psql(sql, host, **kw)
        assert result.rc == 0, result.stderr
        return result.stdout.strip()

    def wait_for(self, sql, expected, host, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            result = self.psql(sql, host)
            if result.rc == 0 and result.stdout.strip() == expected:
                return
            if time.monotonic() > deadline:
                raise AssertionError("%s on %s: %r, wanted %r" % (sql, host, result.stdout + result.stderr, expected))
            time.sleep(1)


def _q(text):
    return "'" + str(text).replace("'", "'\"'\"'") + "'"


def db_host(name):
    return testinfra.get_host("docker://" + name)


def as_postgres(name, sql):
    """SQL as the local admin (peer) on a database host, for cluster internals."""
    result = db_host(name).run("runuser -u postgres -- psql -X -At -c %s" % _q(sql))
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="session")
def client():
    return Client()


@pytest.fixture(scope="session")
def start_times(client):
    return {h: client.value("SELECT pg_postmaster_start_time()", h) for h in DB_HOSTS}


def backup_label(name):
    version = db_host(name).check_output("ls /var/lib/postgresql")
    return db_host(name).check_output("cat /var/lib/postgresql/%s/main/backup_label.old" % version.split()[0])


@pytest.fixture(scope="session")
def seeds():
    """Each replica's backup_label.old (names the base backup it was seeded from)."""
    return {h: backup_label(h) for h in REPLICAS}
