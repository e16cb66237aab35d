"""Rolling deploys under constant load through the LB, from a client outside.

Each test starts bench/tools/loadgen.py on cl-client (GET and POST through
the LB), runs playbooks/rolling_deploy.yml from the controller, stops the
load and asserts on its counts.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import testinfra

ROOT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
INVENTORY_DIR = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
LB = "10.213.40.10"
APP_NODES = ["cl-app-1", "cl-app-2", "cl-app-3"]
sys.path.insert(0, str(ROOT / "build" / "collections"))
from ansible_collections.scaleout.webstack.plugins.module_utils.app import release_id  # noqa: E402


def host(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY_DIR))


@pytest.fixture(scope="module")
def client():
    c = host("cl-client")
    c.ansible("copy", "src=%s dest=/opt/loadgen.py mode=0755" % (ROOT / "bench/tools/loadgen.py"),
              become=True, check=False)
    return c


def make_release(tmp_path_factory, name, config_patch=None):
    """A copy of the reference app with its own content (hence its own release id)."""
    path = tmp_path_factory.mktemp(name) / "app"
    shutil.copytree(ROOT / "examples/app", path, ignore=shutil.ignore_patterns("node_modules"))
    (path / "RELEASE_NOTE").write_text("%s %s\n" % (name, uuid.uuid4()))
    if config_patch:
        config = path / "src" / "config.js"
        text = config.read_text()
        for old, new in config_patch.items():
            assert old in text, "the reference app changed; update this test's patch: %s" % old
            text = text.replace(old, new)
        config.write_text(text)
    return path


def current_releases():
    out = {}
    for name in APP_NODES:
        out[name] = host(name).file("/srv/webstack/current").linked_to.rsplit("/", 1)[-1]
    return out


def deploy_under_load(client, release_path, label):
    client.run("rm -f /tmp/load-stop /tmp/load-%s.json" % label)
    client.run("nohup python3 /opt/loadgen.py https://%s --seconds 900 --workers 6 --stop-file /tmp/load-stop "
               "--out /tmp/load-%s.json >/dev/null 2>&1 &" % (LB, label))
    time.sleep(3)  # some traffic before the deploy starts
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    play = subprocess.run(
        ["ansible-playbook", "-i", str(INVENTORY_DIR), str(ROOT / "playbooks/rolling_deploy.yml"),
         "-e", "app_release=%s" % release_path],
        capture_output=True, text=True, env=env, check=False)
    time.sleep(3)  # and some after it
    client.run("touch /tmp/load-stop")
    for _ in range(60):
        result = client.run("cat /tmp/load-%s.json" % label)
        if result.rc == 0 and result.stdout.strip():
            return play, json.loads(result.stdout)
        time.sleep(1)
    raise AssertionError("the load generator wrote no result")


def test_good_release_rolls_out_with_zero_failed_requests(client, tmp_path_factory):
    release = make_release(tmp_path_factory, "good")
    play, load = deploy_under_load(client, release, "good")
    assert play.returncode == 0, play.stdout[-3000:]
    assert load["requests"] > 200, load
    assert load["failed"] == 0, load
    assert set(current_releases().values()) == {release_id(str(release))}


def test_broken_release_stops_at_first_batch_and_rolls_back(client, tmp_path_factory):
    before = current_releases()
    release = make_release(tmp_path_factory, "broken", {"str(env, 'READY_NEVER') === '1'": "true"})
    play, load = deploy_under_load(client, release, "broken")
    assert play.returncode != 0
    output = play.stdout + play.stderr  # ansible-core prints task errors on stderr
    assert re.search(r"failed on\s+cl-app-1", output), output[-3000:]
    assert current_releases() == before, "a node was left on the broken release"
    assert load["failed"] == 0, load
    assert release_id(str(release)) not in [
        p.rsplit("/", 1)[-1] for p in host("cl-app-2").run("ls -d /srv/webstack/releases/*/").stdout.split()]


def test_release_slower_than_pm2_default_listen_timeout_has_zero_failures(client, tmp_path_factory):
    # PM2's default listen_timeout is 3000 ms; this release is ready after 8 s.
    release = make_release(tmp_path_factory, "slow", {"int('READY_DELAY_MS', 0, 0)": "8000"})
    play, load = deploy_under_load(client, release, "slow")
    assert play.returncode == 0, play.stdout[-3000:]
    assert load["failed"] == 0, load
    assert set(current_releases().values()) == {release_id(str(release))}


def test_rollback_returns_every_node_to_the_previous_release(client):
    before = current_releases()
    previous = {n: host(n).file("/srv/webstack/shared/previous-release").content_string.strip() for n in APP_NODES}
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    play = subprocess.run(["ansible-playbook", "-i", str(INVENTORY_DIR), str(ROOT / "playbooks/rollback.yml")],
                          capture_output=True, text=True, env=env, check=False)
    assert play.returncode == 0, play.stdout[-3000:]
    assert current_releases() == previous != before
