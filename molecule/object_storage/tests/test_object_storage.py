"""SeaweedFS serves the uploads bucket over S3 from every node, to the app's keys only."""
import json
import os
import uuid

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
NODES = {"s3-1": "10.213.31.11", "s3-2": "10.213.31.12", "s3-3": "10.213.31.13"}
BUCKET = "webstack-uploads"
APP = ("molecule-app-access-0001", "molecule-app-secret-key-0001")
ADMIN = ("molecule-admin-access-0001", "molecule-admin-secret-key-0001")

PRELUDE = """
import json, sys, boto3, botocore
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

def s3(node, key=None, secret=None):
    cfg = Config(signature_version=UNSIGNED if key is None else "s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 2})
    return boto3.client("s3", endpoint_url="http://%s:8333" % node, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)

def code(fn):
    try:
        fn()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    return "OK"
"""


def _host(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


@pytest.fixture(scope="module")
def client():
    return _host("s3-client")


def py(client, body):
    """Run Python with boto3 on the client container; it prints one JSON value."""
    out = client.run("python3 - <<'PY'\n%s\n%s\nPY" % (PRELUDE, body))
    assert out.rc == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("node", sorted(NODES))
def test_components_run_as_system_user(node):
    host = _host(node)
    for unit in ("seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer", "seaweedfs-s3"):
        svc = host.service(unit)
        assert svc.is_running and svc.is_enabled, unit
    assert host.user("seaweedfs").shell == "/usr/sbin/nologin"
    assert host.process.filter(user="seaweedfs", comm="weed")
    assert host.file("/etc/seaweedfs/s3.json").mode == 0o640


@pytest.mark.parametrize("node", sorted(NODES))
def test_masters_form_a_raft_of_three(node):
    host = _host(node)
    out = host.check_output(
        "python3 -c \"import urllib.request; print(urllib.request.urlopen("
        f"'http://{NODES[node]}:9333/cluster/status').read().decode())\"")
    status = json.loads(out)
    members = {status["Leader"].split(":")[0]} | {p.split(":")[0] for p in status.get("Peers") or []}
    # Every master agrees on one leader and sees all three masters.
    assert status["Leader"]
    assert {NODES[node]} | members == set(NODES.values()), status


def test_app_env_points_at_the_cluster(client):
    env = dict(line.split("=", 1) for line in client.file("/etc/webstack-storage.env").content_string.splitlines() if line)
    assert env == {
        "STORAGE_BACKEND": "s3", "S3_ENDPOINT": "http://10.213.31.11:8333", "S3_BUCKET": BUCKET,
        "S3_ACCESS_KEY": APP[0], "S3_SECRET_KEY": APP[1], "S3_REGION": "us-east-1", "S3_FORCE_PATH_STYLE": "true"}


def test_put_get_list_delete_with_app_keys(client):
    key = f"uploads/{uuid.uuid4().hex}.txt"
    result = py(client, f"""
c = s3("10.213.31.11", {APP[0]!r}, {APP[1]!r})
c.put_object(Bucket={BUCKET!r}, Key={key!r}, Body=b"hello uploads")
got = c.get_object(Bucket={BUCKET!r}, Key={key!r})["Body"].read().decode()
listed = [o["Key"] for o in c.list_objects_v2(Bucket={BUCKET!r}, Prefix="uploads/").get("Contents", [])]
c.delete_object(Bucket={BUCKET!r}, Key={key!r})
after = code(lambda: c.head_object(Bucket={BUCKET!r}, Key={key!r}))
print(json.dumps([got, {key!r} in listed, after]))
""")
    assert result[0] == "hello uploads"
    assert result[1] is True
    assert result[2] in ("404", "NoSuchKey", "NotFound")


def test_object_written_through_one_node_reads_through_the_others(client):
    key = f"cross/{uuid.uuid4().hex}.bin"
    result = py(client, f"""
import time
w = s3("10.213.31.11", {APP[0]!r}, {APP[1]!r})
w.put_object(Bucket={BUCKET!r}, Key={key!r}, Body=b"x" * 100000)
seen = {{}}
for node in ("10.213.31.12", "10.213.31.13"):
    r = s3(node, {APP[0]!r}, {APP[1]!r})
    for _ in range(20):
        try:
            seen[node] = len(r.get_object(Bucket={BUCKET!r}, Key={key!r})["Body"].read())
            break
        except ClientError:
            time.sleep(0.5)
print(json.dumps(seen))
""")
    assert result == {"10.213.31.12": 100000, "10.213.31.13": 100000}


def test_anonymous_requests_are_refused(client):
    result = py(client, f"""
a = s3("10.213.31.12")
print(json.dumps([code(lambda: a.list_objects_v2(Bucket={BUCKET!r})),
                  code(lambda: a.put_object(Bucket={BUCKET!r}, Key="anon.txt", Body=b"x")),
                  code(lambda: a.get_object(Bucket={BUCKET!r}, Key="anon.txt"))]))
""")
    assert "OK" not in result, result
    assert result[0] == "AccessDenied", result


def test_wrong_keys_are_refused(client):
    result = py(client, f"""
bad_secret = s3("10.213.31.13", {APP[0]!r}, "not-the-secret-key-at-all")
bad_key = s3("10.213.31.13", "no-such-access-key-000", {APP[1]!r})
print(json.dumps([code(lambda: bad_secret.list_objects_v2(Bucket={BUCKET!r})),
                  code(lambda: bad_key.put_object(Bucket={BUCKET!r}, Key="x.txt", Body=b"x"))]))
""")
    assert result == ["SignatureDoesNotMatch", "InvalidAccessKeyId"], result


def test_app_keys_are_limited_to_the_uploads_bucket(client):
    other = f"other-{uuid.uuid4().hex[:8]}"
    result = py(client, f"""
admin = s3("10.213.31.11", {ADMIN[0]!r}, {ADMIN[1]!r})
app = s3("10.213.31.11", {APP[0]!r}, {APP[1]!r})
admin.create_bucket(Bucket={other!r})
denied = [code(lambda: app.put_object(Bucket={other!r}, Key="x.txt", Body=b"x")),
          code(lambda: app.list_objects_v2(Bucket={other!r})),
          code(lambda: app.create_bucket(Bucket={other!r} + "-app")),
          code(lambda: app.delete_bucket(Bucket={BUCKET!r}))]
admin.delete_bucket(Bucket={other!r})
print(json.dumps(denied))
""")
    assert "OK" not in result, result
