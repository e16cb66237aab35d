"""The Ganesha export serves the app host, lands on the server, refuses others."""
import os
import uuid

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
SERVER_IP = "10.213.30.10"
EXPORT = "/srv/webstack/exports/uploads"
URL = f"nfs://{SERVER_IP}{EXPORT}"


def _host(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def server():
    return _host("nfs-server")


@pytest.fixture(scope="module")
def client():
    return _host("nfs-client")


@pytest.fixture(scope="module")
def outsider():
    return _host("nfs-outsider")


def test_ganesha_runs_nfsv4_only(server):
    assert server.service("nfs-ganesha").is_running
    assert server.service("nfs-ganesha").is_enabled
    conf = server.file("/etc/ganesha/ganesha.conf").content_string
    assert "Protocols = 4;" in conf
    assert "Clients = 10.213.30.11;" in conf
    assert "10.213.30.12" not in conf
    assert server.socket("tcp://0.0.0.0:2049").is_listening or server.socket("tcp://:::2049").is_listening


def test_app_host_lists_the_export(client):
    out = client.run(f"nfs-ls '{URL}?version=4'")
    assert out.rc == 0, out.stderr


def test_write_from_app_host_lands_on_server_squashed(client, server):
    name = f"upload-{uuid.uuid4().hex}.txt"
    payload = f"shared upload {name}"
    client.run_test(f"printf '%s' '{payload}' > /tmp/{name}")
    out = client.run(f"nfs-cp /tmp/{name} '{URL}/{name}?version=4'")
    assert out.rc == 0, out.stdout + out.stderr
    landed = server.file(f"{EXPORT}/{name}")
    assert landed.exists
    assert landed.content_string == payload
    # all_squash: written as the app user's uid/gid whatever the client sent.
    assert landed.uid == 2000 and landed.gid == 2000
    # And it reads back through NFS.
    back = client.run(f"nfs-cat '{URL}/{name}?version=4'")
    assert back.rc == 0 and back.stdout == payload, back.stderr


def test_host_outside_app_group_is_refused(outsider, server):
    assert outsider.run(f"nfs-ls '{URL}?version=4'").rc != 0
    name = f"intruder-{uuid.uuid4().hex}.txt"
    outsider.run_test(f"echo nope > /tmp/{name}")
    assert outsider.run(f"nfs-cp /tmp/{name} '{URL}/{name}?version=4'").rc != 0
    assert not server.file(f"{EXPORT}/{name}").exists


def test_client_fstab_entry_is_boot_safe(client):
    fstab = client.file("/etc/fstab").content_string
    line = next(ln for ln in fstab.splitlines() if "/srv/webstack/uploads" in ln)
    src, mount_point, fstype, opts = line.split()[:4]
    assert src == f"{SERVER_IP}:{EXPORT}"
    assert (mount_point, fstype) == ("/srv/webstack/uploads", "nfs")
    for opt in ("nfsvers=4.2", "hard", "_netdev", "nofail", "x-systemd.mount-timeout=30"):
        assert opt in opts.split(",")
    assert client.package("nfs-common").is_installed
