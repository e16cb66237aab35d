"""Unit tests of the PostgreSQL tier's arithmetic and inventory checks."""
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from ansible_collections.scaleout.webstack.plugins.filter import postgresql as pg_filter
from ansible_collections.scaleout.webstack.plugins.module_utils import postgresql as pg

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "postgresql"

GOOD_APP = "app-Zq8kd02xLmQ7-good"
GOOD_REPL = "repl-Vt71Hs93pQ-good"


def host(address, release="13", vcpus=2, mem=4096, **extra):
    hv = {
        "ansible_default_ipv4": {"address": address},
        "ansible_distribution": "Debian",
        "ansible_distribution_major_version": release,
        "ansible_processor_vcpus": vcpus,
        "ansible_memtotal_mb": mem,
        "postgresql_app_password": GOOD_APP,
        "postgresql_replication_password": GOOD_REPL,
    }
    hv.update(extra)
    return hv


@pytest.fixture
def inv():
    hostvars = {
        "db1": host("10.0.0.10"),
        "db2": host("10.0.0.11"),
        "db3": host("10.0.0.12"),
        "web1": {"ansible_default_ipv4": {"address": "10.0.0.20"}},
    }
    groups = {"all": list(hostvars), "postgres_primary": ["db1"], "postgres_replicas": ["db2", "db3"],
              "app": ["web1"]}
    return hostvars, groups


# -- tuning --------------------------------------------------------------------

def test_tuning_derives_memory_from_ram():
    t = pg.tuning(16384, 8, max_connections=200)
    assert t["shared_buffers"] == "4096MB"
    assert t["effective_cache_size"] == "12288MB"
    assert t["work_mem"] == "20MB"  # (16384 - 4096) // 600
    assert t["maintenance_work_mem"] == "1024MB"
    assert t["max_worker_processes"] == "8"
    assert t["max_parallel_workers"] == "8"
    assert t["max_parallel_workers_per_gather"] == "4"


def test_tuning_floors_and_caps():
    small = pg.tuning(512, 1, max_connections=1000)
    assert small["shared_buffers"] == "128MB"
    assert small["work_mem"] == "4MB"
    assert small["maintenance_work_mem"] == "64MB"
    assert small["max_parallel_workers_per_gather"] == "1"
    big = pg.tuning(1024 * 1024, 64, max_connections=10)
    assert big["maintenance_work_mem"] == "2048MB"
    assert big["work_mem"] == "256MB"
    assert big["max_worker_processes"] == "64"
    assert big["max_parallel_workers_per_gather"] == "4"


def test_tuning_overrides_win_and_none_means_derived():
    t = pg.tuning(8192, 4, overrides={"shared_buffers": "1GB", "work_mem": None, "max_worker_processes": ""})
    assert t["shared_buffers"] == "1GB"
    assert t["work_mem"] == pg.tuning(8192, 4)["work_mem"]
    assert t["max_worker_processes"] == "8"


def test_parallel_workers_never_exceed_worker_processes():
    t = pg.tuning(8192, 16, overrides={"max_worker_processes": "10"})
    assert t["max_parallel_workers"] == "10"


def test_worker_processes_sized_for_the_largest_database_host(inv):
    hostvars, groups = inv
    hostvars["db3"]["ansible_processor_vcpus"] = 32
    primary = pg_filter.FilterModule().filters()["postgresql_tuning"]("db1", hostvars, groups)
    assert primary["max_worker_processes"] == "32"  # a standby must not have more than its primary
    assert primary["max_parallel_workers"] == "2"  # but parallelism follows the host's own vCPUs


def test_tuning_uses_host_max_connections_default(inv):
    hostvars, groups = inv
    t = pg.host_tuning("db1", hostvars, groups)
    assert t["work_mem"] == "5MB"  # (4096 - 1024) // (3 * 200)


def test_replication_settings_scale_with_replicas():
    assert pg.replication_settings(0)["max_wal_senders"] == "10"
    assert pg.replication_settings(7)["max_wal_senders"] == "16"
    assert pg.replication_settings(7)["max_replication_slots"] == "11"
    assert pg.replication_settings(2)["wal_level"] == "replica"


# -- slots -----------------------------------------------------------------------

@pytest.mark.parametrize("name, slot", [
    ("pg-replica-1", "pg_replica_1"),
    ("DB2.example.com", "db2_example_com"),
    ("10.0.0.5", "r_10_0_0_5"),
])
def test_replication_slot_names(name, slot):
    assert pg.replication_slot(name) == slot


def test_long_slot_names_are_truncated_and_stay_distinct():
    a = pg.replication_slot("replica-" + "x" * 80 + "-a")
    b = pg.replication_slot("replica-" + "x" * 80 + "-b")
    assert len(a) <= 63 and len(b) <= 63 and a != b


# -- inventory errors --------------------------------------------------------------

def test_good_inventory_has_no_errors(inv):
    assert pg.inventory_errors(*inv) == []


def test_missing_app_group_is_fine(inv):
    hostvars, groups = inv
    del groups["app"]
    assert pg.inventory_errors(hostvars, groups) == []


def test_two_primaries(inv):
    hostvars, groups = inv
    groups["postgres_primary"] = ["db1", "db2"]
    groups["postgres_replicas"] = ["db3"]
    assert pg.inventory_errors(hostvars, groups) == [
        "group postgres_primary has 2 hosts (db1, db2); it needs exactly one"]


def test_no_primary(inv):
    hostvars, groups = inv
    del groups["postgres_primary"]
    assert pg.inventory_errors(hostvars, groups) == [
        "group postgres_primary is empty or missing; it needs exactly one host"]


def test_host_in_both_groups(inv):
    hostvars, groups = inv
    groups["postgres_replicas"].append("db1")
    errors = pg.inventory_errors(hostvars, groups)
    assert errors == ["host db1 is in both postgres_primary and postgres_replicas; a host is the primary or a replica"]


@pytest.mark.parametrize("value, expected", [
    (None, "postgresql_app_password (host db1) is not set; secrets have no defaults"),
    ("changeme", "postgresql_app_password (host db1) is a placeholder; set a real secret"),
    ("short-password", "postgresql_app_password (host db1) is 14 characters; it needs at least 16"),
])
def test_bad_app_password(inv, value, expected):
    hostvars, groups = inv
    hostvars["db1"]["postgresql_app_password"] = value
    assert pg.inventory_errors(hostvars, groups) == [expected]


def test_bad_replication_password_everywhere_is_reported_once(inv):
    hostvars, groups = inv
    for h in ("db1", "db2", "db3"):
        hostvars[h]["postgresql_replication_password"] = "short-password"
    assert pg.inventory_errors(hostvars, groups) == [
        "postgresql_replication_password (host db1) is 14 characters; it needs at least 16"]


def test_replica_with_other_replication_password(inv):
    hostvars, groups = inv
    hostvars["db3"]["postgresql_replication_password"] = "another-good-password-1"
    hostvars["db2"]["postgresql_replication_password"] = "changeme"
    assert pg.inventory_errors(hostvars, groups) == [
        "postgresql_replication_password (host db2) is a placeholder; set a real secret",
        "postgresql_replication_password (host db3) differs from the primary's (db1)"]


def test_unsupported_version_without_pgdg(inv):
    hostvars, groups = inv
    for h in ("db1", "db2", "db3"):
        hostvars[h]["postgresql_version"] = "11"
    errors = pg.inventory_errors(hostvars, groups)
    assert errors[0] == ("postgresql_version (host db1) is 11; Debian 13 packages PostgreSQL 17 "
                         "(set postgresql_use_pgdg: true for 14, 15, 16, 17, 18)")
    assert len(errors) == 3


def test_pgdg_versions(inv):
    hostvars, groups = inv
    for h in ("db1", "db2", "db3"):
        hostvars[h].update(postgresql_version=16, postgresql_use_pgdg=True)
    assert pg.inventory_errors(hostvars, groups) == []
    for h in ("db1", "db2", "db3"):
        hostvars[h]["postgresql_version"] = "9.6"
    assert "with postgresql_use_pgdg the role supports" in pg.inventory_errors(hostvars, groups)[0]


def test_mixed_releases_need_the_same_major_version(inv):
    hostvars, groups = inv
    hostvars["db3"]["ansible_distribution_major_version"] = "12"
    assert pg.inventory_errors(hostvars, groups) == [
        "postgresql_version (host db3) is 15 but the primary db1 runs 17; "
        "streaming replicas need the same major version"]


def test_unsupported_distribution(inv):
    hostvars, groups = inv
    hostvars["db2"].update(ansible_distribution="Ubuntu", ansible_distribution_major_version="24")
    assert pg.inventory_errors(hostvars, groups) == [
        "host db2 runs Ubuntu 24; the postgresql role supports Debian 12 and 13"]


def test_connection_settings(inv):
    hostvars, groups = inv
    hostvars["db1"]["postgresql_connection_reserve"] = 200
    hostvars["db2"]["postgresql_max_connections"] = 100
    assert pg.inventory_errors(hostvars, groups) == [
        "postgresql_connection_reserve (host db1) must be an integer from 0 to postgresql_max_connections - 1 (199)",
        "postgresql_max_connections (host db2) is 100, below the primary's 200; a standby refuses to start with fewer"]


def test_app_host_without_an_address(inv):
    hostvars, groups = inv
    hostvars["web1"] = {}
    assert pg.inventory_errors(hostvars, groups) == [
        "host web1 has no private IP address for pg_hba.conf (got 'web1'); "
        "gather its facts or set webstack_private_address"]


def test_colliding_slot_names(inv):
    hostvars, groups = inv
    hostvars["db.2"] = host("10.0.0.13")
    hostvars["db_2"] = host("10.0.0.14")
    groups["postgres_replicas"] = ["db.2", "db_2"]
    assert pg.inventory_errors(hostvars, groups) == [
        "hosts db.2 and db_2 share the replication slot name db_2; rename one"]


def test_hosts_missing_facts(inv):
    hostvars, groups = inv
    hostvars["web1"] = {"ansible_host": "web1"}
    hostvars["db3"] = {"webstack_private_address": "10.0.0.12"}
    assert pg.hosts_missing_facts(hostvars, groups) == ["web1"]


# -- app environment -----------------------------------------------------------

def test_app_env_urls(inv):
    hostvars, groups = inv
    hostvars["db1"]["postgresql_app_password"] = "p@ss:w/rd?#%&-long-enough"
    env = pg_filter.FilterModule().filters()["postgresql_app_env"](hostvars, groups)
    assert set(env) == {"DATABASE_URL", "DATABASE_REPLICA_URLS"}
    url = urlsplit(env["DATABASE_URL"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("postgres", "10.0.0.10", 5432, "/webstack")
    assert url.username == "webstack" and unquote(url.password) == "p@ss:w/rd?#%&-long-enough"
    replicas = env["DATABASE_REPLICA_URLS"].split(",")
    assert [urlsplit(u).hostname for u in replicas] == ["10.0.0.11", "10.0.0.12"]
    assert all(unquote(urlsplit(u).password) == "p@ss:w/rd?#%&-long-enough" for u in replicas)


def test_app_env_reads_overrides_from_the_primary(inv):
    hostvars, groups = inv
    hostvars["db1"].update(postgresql_port=6432, postgresql_app_user="shop", postgresql_app_database="shopdb")
    groups["postgres_replicas"] = []
    env = pg.app_env(hostvars, groups)
    assert env == {"DATABASE_URL": "postgres://shop:%s@10.0.0.10:6432/shopdb" % GOOD_APP,
                   "DATABASE_REPLICA_URLS": ""}


def test_app_env_needs_one_primary(inv):
    hostvars, groups = inv
    groups["postgres_primary"] = []
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError):
        pg_filter.FilterModule().filters()["postgresql_app_env"](hostvars, groups)


def test_usable_connections(inv):
    hostvars, groups = inv
    assert pg.usable_connections(hostvars, groups) == 190
    hostvars["db1"].update(postgresql_max_connections=500, postgresql_connection_reserve=20)
    assert pg.usable_connections(hostvars, groups) == 480


# -- the role agrees with the Python ---------------------------------------------

def test_role_defaults_match_python_defaults():
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    for name, value in pg.DEFAULTS.items():
        assert defaults[name] == value, name
    for name in pg.SECRETS:
        assert name not in defaults


@pytest.mark.parametrize("release", sorted(pg.DEBIAN_PACKAGED_VERSIONS))
def test_distro_vars_match_python(release):
    data = yaml.safe_load((ROLE / ("vars/Debian-%s.yml" % release)).read_text())
    assert data["_postgresql_distro_version"] == pg.DEBIAN_PACKAGED_VERSIONS[release]


# -- settings pre-filter ---------------------------------------------------------

def _row(name, setting, unit=None, vartype="integer"):
    return {"name": name, "setting": setting, "unit": unit, "vartype": vartype}


def test_settings_to_change_normalizes_units_and_types():
    current = [
        _row("shared_buffers", "16384", "8kB"),  # 128MB
        _row("work_mem", "4096", "kB"),
        _row("wal_keep_size", "512", "MB"),
        _row("max_connections", "200"),
        _row("hot_standby", "on", vartype="bool"),
        _row("wal_level", "replica", vartype="enum"),
        _row("checkpoint_timeout", "300", "s"),
        _row("random_page_cost", "1.1", vartype="real"),
        _row("listen_addresses", "10.0.0.1, localhost", vartype="string"),
        _row("password_encryption", "scram-sha-256", vartype="enum"),
    ]
    same = {"shared_buffers": "128MB", "work_mem": "4MB", "wal_keep_size": "512MB", "max_connections": 200,
            "hot_standby": True, "wal_level": "Replica", "checkpoint_timeout": "5min", "random_page_cost": "1.1",
            "listen_addresses": "10.0.0.1,localhost", "password_encryption": "scram-sha-256"}
    assert pg.settings_to_change(same, current) == []
    different = {"shared_buffers": "256MB", "work_mem": "4096", "max_connections": "250", "hot_standby": "off",
                 "checkpoint_timeout": "10min", "random_page_cost": "4"}
    assert pg.settings_to_change(different, current) == [
        "checkpoint_timeout", "hot_standby", "max_connections", "random_page_cost", "shared_buffers"]


def test_settings_to_change_sends_what_it_cannot_compare():
    current = [_row("work_mem", "4096", "kB")]
    assert pg.settings_to_change({"work_mem": "4 parsecs", "no_such_setting": "1"}, current) == [
        "no_such_setting", "work_mem"]


def test_settings_to_change_disabled_values():
    current = [_row("log_min_duration_statement", "-1", "ms")]
    assert pg.settings_to_change({"log_min_duration_statement": "-1"}, current) == []
    assert pg.settings_to_change({"log_min_duration_statement": "250ms"}, current) == ["log_min_duration_statement"]
