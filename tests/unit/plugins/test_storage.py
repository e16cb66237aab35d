"""storage_app_env and storage_inventory_errors (plugins/module_utils/storage.py)."""
from pathlib import Path

import pytest
import yaml

from ansible_collections.scaleout.webstack.plugins.filter import storage as storage_filter
from ansible_collections.scaleout.webstack.plugins.module_utils import storage

ROOT = Path(__file__).resolve().parents[3]
GOOD = "Zq8#kd02!xLmQ71vT-test"


def _inv(app=("app-1", "app-2"), store=("s3-1", "s3-2", "s3-3"), **common):
    groups = {"app": list(app), "storage": list(store)}
    hostvars = {}
    for i, h in enumerate(list(app) + list(store)):
        hostvars[h] = dict(common, webstack_private_address="10.0.0.%d" % (i + 1))
    return hostvars, groups


SEAWEED = {n: GOOD + n for n in storage.ENGINE_SECRETS["seaweedfs"]}
MINIO = {n: GOOD + n for n in storage.ENGINE_SECRETS["minio"]}


# -- defaults mirrored from the roles ------------------------------------------
@pytest.mark.parametrize("name", sorted(storage.DEFAULTS))
def test_mirrored_defaults_equal_role_defaults(name):
    role = name.split("_")[0] if not name.startswith("nfs_client") else "nfs_client"
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text())
    assert defaults[name] == storage.DEFAULTS[name]


# -- storage_app_env ------------------------------------------------------------
def test_seaweedfs_env_points_at_first_storage_host():
    hv, groups = _inv(**SEAWEED)
    env = storage.app_env(hv, groups, host="app-1", storage_backend="s3", s3_engine="seaweedfs")
    assert env == {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": "http://10.0.0.3:8333",
        "S3_BUCKET": "webstack-uploads",
        "S3_ACCESS_KEY": SEAWEED["seaweedfs_app_access_key"],
        "S3_SECRET_KEY": SEAWEED["seaweedfs_app_secret_key"],
        "S3_REGION": "us-east-1",
        "S3_FORCE_PATH_STYLE": "true",
    }


def test_seaweedfs_env_reads_bucket_and_port_from_storage_host():
    hv, groups = _inv(**SEAWEED)
    hv["s3-1"].update(seaweedfs_bucket="media", seaweedfs_s3_port=9333)
    env = storage.app_env(hv, groups, host="app-2", storage_backend="s3", s3_engine="seaweedfs")
    assert (env["S3_ENDPOINT"], env["S3_BUCKET"]) == ("http://10.0.0.3:9333", "media")


def test_explicit_endpoint_wins_for_any_engine():
    hv, groups = _inv(storage_s3_endpoint="https://s3.lb.internal", **SEAWEED)
    assert storage.app_env(hv, groups, host="app-1", storage_backend="s3", s3_engine="seaweedfs")["S3_ENDPOINT"] == "https://s3.lb.internal"


def test_ipv6_endpoint_is_bracketed():
    hv, groups = _inv(**SEAWEED)
    hv["s3-1"]["webstack_private_address"] = "fd00::5"
    assert storage.app_env(hv, groups, storage_backend="s3", s3_engine="seaweedfs")["S3_ENDPOINT"] == "http://[fd00::5]:8333"


def test_minio_env_uses_https_when_tls_is_set():
    hv, groups = _inv(**MINIO)
    hv["s3-1"]["minio_tls_cert"] = "files/public.crt"
    env = storage.app_env(hv, groups, host="app-1", storage_backend="s3", s3_engine="minio")
    assert env["S3_ENDPOINT"] == "https://10.0.0.3:9000"
    assert env["S3_ACCESS_KEY"] == MINIO["minio_app_access_key"]


def test_external_env_reads_the_app_hosts_settings():
    hv, groups = _inv(store=(), storage_s3_endpoint="https://s3.eu-west-1.amazonaws.com",
                      storage_s3_bucket="acme-uploads", storage_s3_access_key="AKIA" + GOOD,
                      storage_s3_secret_key=GOOD, storage_s3_region="eu-west-1")
    env = storage.app_env(hv, groups, host="app-1", storage_backend="s3", s3_engine="external")
    assert env["S3_ENDPOINT"] == "https://s3.eu-west-1.amazonaws.com"
    assert (env["S3_BUCKET"], env["S3_REGION"], env["S3_FORCE_PATH_STYLE"]) == ("acme-uploads", "eu-west-1", "false")


def test_nfs_env_is_the_mount_point():
    hv, groups = _inv(store=("nfs-1",))
    assert storage.app_env(hv, groups, host="app-1", storage_backend="nfs") == {
        "STORAGE_BACKEND": "nfs", "UPLOADS_DIR": "/srv/webstack/uploads"}
    hv["app-1"]["nfs_client_mount_point"] = "/mnt/uploads"
    assert storage.app_env(hv, groups, host="app-1", storage_backend="nfs")["UPLOADS_DIR"] == "/mnt/uploads"


def test_local_env():
    hv, groups = _inv(app=("app-1",), store=())
    assert storage.app_env(hv, groups, storage_backend="local") == {"STORAGE_BACKEND": "local", "UPLOADS_DIR": "/srv/webstack/uploads"}


@pytest.mark.parametrize("backend, engine, message", [
    ("ceph", None, "storage_backend is 'ceph'"),
    ("s3", "garage", "s3_engine is 'garage'"),
])
def test_app_env_refuses_unknown_choices(backend, engine, message):
    hv, groups = _inv(**SEAWEED)
    with pytest.raises(storage.StorageError, match=message):
        storage.app_env(hv, groups, storage_backend=backend, s3_engine=engine)


def test_app_env_names_the_missing_key_and_host():
    hv, groups = _inv()
    with pytest.raises(storage.StorageError, match=r"seaweedfs_app_access_key is not set \(host s3-1\)"):
        storage.app_env(hv, groups, storage_backend="s3", s3_engine="seaweedfs")


def test_filter_wraps_errors_for_ansible():
    from ansible.errors import AnsibleFilterError
    hv, groups = _inv()
    filters = storage_filter.FilterModule().filters()
    with pytest.raises(AnsibleFilterError):
        filters["storage_app_env"](hv, groups, storage_backend="s3", s3_engine="seaweedfs")
    assert set(filters) >= {"storage_app_env", "storage_inventory_errors", "seaweedfs_masters"}


# -- storage_inventory_errors ---------------------------------------------------
def test_good_seaweedfs_inventory_has_no_errors():
    hv, groups = _inv(**SEAWEED)
    assert storage.inventory_errors(hv, groups, "s3", "seaweedfs") == []


def test_unknown_backend_is_one_message():
    hv, groups = _inv()
    assert storage.inventory_errors(hv, groups, "s4") == ["storage_backend is 's4'; choose one of nfs, s3, local"]


def test_unknown_engine():
    hv, groups = _inv()
    assert storage.inventory_errors(hv, groups, "s3", "garage") == [
        "s3_engine is 'garage'; with storage_backend s3 choose one of seaweedfs, minio, external"]


def test_unset_engine_means_seaweedfs():
    hv, groups = _inv(**SEAWEED)
    assert storage.inventory_errors(hv, groups, "s3", None) == []
    assert storage.app_env(hv, groups, storage_backend="s3")["S3_ENDPOINT"] == "http://10.0.0.3:8333"


def test_local_with_several_app_hosts_is_refused():
    hv, groups = _inv(app=("a1", "a2", "a3"), store=())
    [msg] = storage.inventory_errors(hv, groups, "local")
    assert "group app has 3 hosts (a1, a2, a3)" in msg and "choose nfs or s3" in msg


def test_local_with_one_app_host_is_fine():
    hv, groups = _inv(app=("a1",), store=())
    assert storage.inventory_errors(hv, groups, "local") == []


@pytest.mark.parametrize("store", [(), ("n1", "n2")])
def test_nfs_needs_exactly_one_storage_host(store):
    hv, groups = _inv(store=store)
    [msg] = storage.inventory_errors(hv, groups, "nfs")
    assert "exactly one host" in msg and "it has %d" % len(store) in msg


def test_s3_engine_with_empty_storage_group():
    hv, groups = _inv(store=())
    [msg] = storage.inventory_errors(hv, groups, "s3", "seaweedfs")
    assert "group storage is empty" in msg


def test_each_bad_secret_is_one_message_naming_host_and_variable():
    secrets_ = dict(SEAWEED, seaweedfs_admin_secret_key="changeme")
    del secrets_["seaweedfs_app_access_key"]
    hv, groups = _inv(**secrets_)
    errors = storage.inventory_errors(hv, groups, "s3", "seaweedfs")
    assert errors == [
        "seaweedfs_admin_secret_key (host s3-1) is a placeholder; set a real secret",
        "seaweedfs_app_access_key (host s3-1) is not set; secrets have no defaults",
    ]


def test_secret_differing_between_nodes_is_reported():
    hv, groups = _inv(**SEAWEED)
    hv["s3-3"]["seaweedfs_app_secret_key"] = GOOD + "other"
    assert storage.inventory_errors(hv, groups, "s3", "seaweedfs") == [
        "seaweedfs_app_secret_key (host s3-3) differs from host s3-1; every storage node needs the same value"]


def test_minio_single_node_single_drive_is_fine():
    hv, groups = _inv(store=("m1",), **MINIO)
    assert storage.inventory_errors(hv, groups, "s3", "minio") == []


def test_minio_distributed_needs_four_drives():
    hv, groups = _inv(store=("m1", "m2", "m3"), **MINIO)
    [msg] = storage.inventory_errors(hv, groups, "s3", "minio")
    assert "3 drives in total" in msg and "at least 4" in msg and "minio_drives" in msg


def test_minio_distributed_with_two_drives_each_is_fine():
    hv, groups = _inv(store=("m1", "m2"), minio_drives=["/d1", "/d2"], **MINIO)
    assert storage.inventory_errors(hv, groups, "s3", "minio") == []


def test_minio_unequal_drives_per_node():
    hv, groups = _inv(store=("m1", "m2"), minio_drives=["/d1", "/d2"], **MINIO)
    hv["m2"]["minio_drives"] = ["/d1", "/d2", "/d3"]
    [msg] = storage.inventory_errors(hv, groups, "s3", "minio")
    assert "same number of drives" in msg and "m1=2, m2=3" in msg


def test_external_needs_endpoint_bucket_and_keys():
    hv, groups = _inv(store=())
    errors = storage.inventory_errors(hv, groups, "s3", "external")
    assert errors[:2] == ["storage_s3_endpoint is not set (host app-1); s3_engine external needs it",
                          "storage_s3_bucket is not set (host app-1); s3_engine external needs it"]
    assert any(e.startswith("storage_s3_access_key (host app-1) is not set") for e in errors)
    assert len(errors) == 4


# -- SeaweedFS topology ---------------------------------------------------------
@pytest.mark.parametrize("hosts, masters", [
    ([], []), (["a"], ["a"]), (["a", "b"], ["a"]), (["a", "b", "c"], ["a", "b", "c"]),
    (["a", "b", "c", "d", "e"], ["a", "b", "c"]),
])
def test_seaweedfs_masters(hosts, masters):
    assert storage.seaweedfs_masters(hosts) == masters


def test_seaweedfs_masters_even_maximum_rounds_down_to_odd():
    assert storage.seaweedfs_masters(list("abcde"), max_masters=4) == list("abc")
    assert storage.seaweedfs_masters(list("abcde"), max_masters=5) == list("abcde")


def test_seaweedfs_replication():
    assert storage.seaweedfs_replication(["a"]) == "000"
    assert storage.seaweedfs_replication(["a", "b"]) == "001"


# -- policy comparison ----------------------------------------------------------
DESIRED = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": ["arn:aws:s3:::b"]},
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
]}


def test_policy_equal_ignores_order_and_string_lists():
    served = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": ["arn:aws:s3:::b"]},
    ]}
    assert storage.s3_policy_equal(served, DESIRED)


def test_policy_with_wider_resource_differs():
    wider = {"Statement": [dict(DESIRED["Statement"][0]),
                           dict(DESIRED["Statement"][1], Resource=["arn:aws:s3:::*"])]}
    assert not storage.s3_policy_equal(wider, DESIRED)
    assert not storage.s3_policy_equal(None, DESIRED)


# -- stack-wide settings read from the inventory ---------------------------------
def test_backend_and_engine_come_from_the_inventory():
    hv, groups = _inv(storage_backend="s3", s3_engine="seaweedfs", **SEAWEED)
    assert storage.app_env(hv, groups, "app-2")["S3_ENDPOINT"] == "http://10.0.0.3:8333"
    assert storage.inventory_errors(hv, groups) == []
    filters = storage_filter.FilterModule().filters()
    assert filters["storage_app_env"](hv, groups, "app-1")["STORAGE_BACKEND"] == "s3"
    assert filters["storage_inventory_errors"](hv, groups) == []


def test_unset_backend_means_local():
    hv, groups = _inv(app=("a1", "a2"), store=())
    assert storage.stack_settings(hv, groups) == ("local", "seaweedfs")
    assert "choose nfs or s3" in storage.inventory_errors(hv, groups)[0]
    assert storage.app_env(hv, groups, "a1")["STORAGE_BACKEND"] == "local"


def test_arguments_override_the_inventory():
    hv, groups = _inv(storage_backend="s3", s3_engine="minio")
    assert storage.app_env(hv, groups, "app-1", storage_backend="nfs") == {
        "STORAGE_BACKEND": "nfs", "UPLOADS_DIR": "/srv/webstack/uploads"}
