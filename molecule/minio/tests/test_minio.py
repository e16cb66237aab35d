"""Distributed MinIO serves the uploads bucket from both nodes, to the app's keys only."""
import json
import os
import uuid

import pytest
import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
NODES = {"minio-1": "10.213.32.11", "minio-2": "10.213.32.12"}
BUCKET = "webstack-uploads"
APP = ("molecule-app-access-0001", "molecule-app-secret-key-0001")
ROOT = ("molecule-root-user-0001", "molecule-root-password-0001")

PRELUDE = """
import json, boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

def s3(node, key=None, secret=None):
    cfg = Config(signature_version=UNSIGNED if key is None else "s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 2})
    return boto3.client("s3", endpoint_url="http://%s:9000" % node, region_name="us-east-1",
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
    return _host("minio-client")


def py(client, body):
    out = client.run("python3 - <<'PY'\n%s\n%s\nPY" % (PRELUDE, body))
    assert out.rc == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("node", sorted(NODES))
def test_minio_runs_as_system_user_on_four_drives(node):
    host = _host(node)
    assert host.service("minio").is_running and host.service("minio").is_enabled
    assert host.process.filter(user="minio-user", comm="minio")
    env = host.file("/etc/default/minio")
    assert env.mode == 0o640
    volumes = [ln for ln in env.content_string.splitlines() if ln.startswith("MINIO_VOLUMES=")][0]
    assert volumes.count("http://") == 4


def test_app_env_points_at_the_cluster(client):
    env = dict(line.split("=", 1) for line in client.file("/etc/webstack-storage.env").content_string.splitlines() if line)
    assert env["S3_ENDPOINT"] == "http://10.213.32.11:9000"
    assert (env["S3_BUCKET"], env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"]) == (BUCKET, APP[0], APP[1])


def test_put_get_list_delete_with_app_keys_across_nodes(client):
    key = f"uploads/{uuid.uuid4().hex}.txt"
    result = py(client, f"""
w = s3("10.213.32.11", {APP[0]!r}, {APP[1]!r})
r = s3("10.213.32.12", {APP[0]!r}, {APP[1]!r})
w.put_object(Bucket={BUCKET!r}, Key={key!r}, Body=b"hello uploads")
got = r.get_object(Bucket={BUCKET!r}, Key={key!r})["Body"].read().decode()
listed = [o["Key"] for o in r.list_objects_v2(Bucket={BUCKET!r}, Prefix="uploads/").get("Contents", [])]
w.delete_object(Bucket={BUCKET!r}, Key={key!r})
after = code(lambda: r.head_object(Bucket={BUCKET!r}, Key={key!r}))
print(json.dumps([got, {key!r} in listed, after]))
""")
    assert result == ["hello uploads", True, "404"]


def test_anonymous_and_wrong_keys_are_refused(client):
    result = py(client, f"""
a = s3("10.213.32.12")
bad = s3("10.213.32.12", {APP[0]!r}, "not-the-secret-key-at-all")
print(json.dumps([code(lambda: a.list_objects_v2(Bucket={BUCKET!r})),
                  code(lambda: a.put_object(Bucket={BUCKET!r}, Key="anon.txt", Body=b"x")),
                  code(lambda: bad.list_objects_v2(Bucket={BUCKET!r}))]))
""")
    assert result == ["AccessDenied", "AccessDenied", "SignatureDoesNotMatch"], result


def test_app_keys_are_limited_to_the_uploads_bucket(client):
    other = f"other-{uuid.uuid4().hex[:8]}"
    result = py(client, f"""
root = s3("10.213.32.11", {ROOT[0]!r}, {ROOT[1]!r})
app = s3("10.213.32.11", {APP[0]!r}, {APP[1]!r})
root.create_bucket(Bucket={other!r})
denied = [code(lambda: app.put_object(Bucket={other!r}, Key="x.txt", Body=b"x")),
          code(lambda: app.list_objects_v2(Bucket={other!r})),
          code(lambda: app.create_bucket(Bucket={other!r} + "-app")),
          code(lambda: app.delete_bucket(Bucket={BUCKET!r}))]
root.delete_bucket(Bucket={other!r})
print(json.dumps(denied))
""")
    assert result == ["AccessDenied"] * 4, result
