"""The postgresql scenario, checked from outside the database hosts.

Tests run in file order: read-only checks first, then the failing
preflights (which must change nothing), then re-runs of the role that
change settings.
"""
import uuid

import pytest
from conftest import (ADDRESS, APP_PASSWORD, DB_HOSTS, PRIMARY, REPL_PASSWORD, REPLICAS, _q, as_postgres,
                      backup_label, db_host, finish, inventory, recap, run_playbook, start_playbook)


def test_both_replicas_stream_through_active_slots(client, start_times, seeds):
    rows = as_postgres(PRIMARY, "SELECT application_name, client_addr, state FROM pg_stat_replication "
                                "ORDER BY application_name").splitlines()
    assert rows == ["%s|%s|streaming" % (h, ADDRESS[h]) for h in REPLICAS]
    # pg_replication_slots is readable by any user: checked from the client.
    slots = client.value("SELECT slot_name || ':' || slot_type || ':' || active FROM pg_replication_slots "
                         "ORDER BY slot_name").splitlines()
    assert slots == ["pg_replica_1:physical:true", "pg_replica_2:physical:true"]


def test_row_written_on_primary_is_read_on_each_replica(client):
    marker = uuid.uuid4().hex
    client.value("CREATE TABLE IF NOT EXISTS molecule_marker (note text PRIMARY KEY); "
                 "INSERT INTO molecule_marker VALUES ('%s')" % marker)
    for replica in REPLICAS:
        client.wait_for("SELECT count(*) FROM molecule_marker WHERE note = '%s'" % marker, "1", replica)


def test_write_on_a_replica_is_refused(client):
    result = client.psql("INSERT INTO molecule_marker VALUES ('on-a-replica')", REPLICAS[0])
    assert result.rc != 0
    assert "read-only transaction" in result.stderr
    assert client.value("SELECT pg_is_in_recovery()", REPLICAS[0]) == "t"
    assert client.value("SELECT pg_is_in_recovery()", PRIMARY) == "f"


@pytest.mark.parametrize("user, password, db", [
    ("webstack", None, "postgres"),  # the app user, another database
    ("replicator", REPL_PASSWORD, "webstack"),  # the replication user, from an app host
    ("postgres", "whatever-password-1234", "webstack"),  # the admin, over the network
])
def test_what_pg_hba_does_not_name_is_refused(client, user, password, db):
    for target in (PRIMARY, REPLICAS[0]):
        result = client.psql("SELECT 1", target, user=user, db=db,
                             **({"password": password} if password else {}))
        assert result.rc != 0
        assert "no pg_hba.conf entry for host \"%s\"" % ADDRESS["pg-client"] in result.stderr


def test_app_user_is_refused_from_a_host_outside_the_app_group():
    outsider = REPLICAS[1]  # a database host: in the inventory, not in group app
    result = db_host(outsider).run("PGPASSWORD=%s psql -X -At -h %s -U webstack -d webstack -c 'SELECT 1'"
                                   % (_q(APP_PASSWORD), ADDRESS[PRIMARY]))
    assert result.rc != 0
    assert "no pg_hba.conf entry for host \"%s\"" % ADDRESS[outsider] in result.stderr


def test_app_password_is_stored_as_a_scram_verifier():
    assert as_postgres(PRIMARY, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
                                "WHERE rolname = 'webstack'") == "t"


def test_a_wrong_password_is_refused(client):
    result = client.psql("SELECT 1", password="not-the-app-password-123")
    assert result.rc != 0 and "password authentication failed" in result.stderr


def test_tuning_is_derived_from_the_hosts_facts(client):
    mem_kb = int(_meminfo(PRIMARY))
    assert client.value("SHOW password_encryption") == "scram-sha-256"
    assert client.value("SHOW shared_buffers") == "128MB"  # molecule.yml overrides it
    # 75 % of RAM (facts report whole MB).
    cache_mb = int(client.value("SELECT setting::bigint * 8 / 1024 FROM pg_settings "
                                "WHERE name = 'effective_cache_size'"))
    assert abs(cache_mb - mem_kb // 1024 * 3 // 4) <= 2
    assert client.value("SHOW wal_level") == "replica"
    assert client.value("SHOW max_connections") == "200"


def _meminfo(name):
    line = [x for x in db_host(name).check_output("cat /proc/meminfo").splitlines() if x.startswith("MemTotal")]
    return line[0].split()[1]


# pg_hba.conf and the ALTER SYSTEM settings, as the server reads them.
CONFIG_DIGEST = ("SELECT md5(pg_read_file(current_setting('hba_file')) || "
                 "pg_read_file('postgresql.auto.conf'))")

def _without(variable):
    inv = inventory()
    del inv["all"]["vars"][variable]
    return inv


BAD_INVENTORIES = {
    "two primaries": (
        inventory(groups={"postgres_primary": ["pg-primary", "pg-replica-1"], "postgres_replicas": ["pg-replica-2"]}),
        "group postgres_primary has 2 hosts (pg-primary, pg-replica-1); it needs exactly one"),
    "placeholder password": (
        inventory(all_vars={"postgresql_app_password": "changeme"}),
        "postgresql_app_password (host pg-primary) is a placeholder; set a real secret"),
    "short password": (
        inventory(all_vars={"postgresql_replication_password": "x7Kq2p"}),
        "postgresql_replication_password (host pg-primary) is 6 characters; it needs at least 16"),
    "missing password": (
        _without("postgresql_app_password"),
        "postgresql_app_password (host pg-primary) is not set"),
    "host in both groups": (
        inventory(groups={"postgres_replicas": ["pg-replica-1", "pg-replica-2", "pg-primary"]}),
        "host pg-primary is in both postgres_primary and postgres_replicas"),
    "unsupported version": (
        inventory(all_vars={"postgresql_version": "11"}),
        "postgresql_version (host pg-primary) is 11; Debian"),
}


def test_bad_inventories_fail_preflight_and_change_nothing(client, start_times):
    hba_before = {h: as_postgres(h, CONFIG_DIGEST) for h in DB_HOSTS}
    # Independent and read-only: run them side by side.
    running = {name: start_playbook(inv) for name, (inv, _) in BAD_INVENTORIES.items()}
    problems = []
    for name, (proc, path) in running.items():
        rc, out = finish(proc, path)
        expected = BAD_INVENTORIES[name][1]
        if rc == 0 or expected not in out or "PostgreSQL preflight failed" not in out:
            problems.append("%s: rc=%s, wanted %r in:\n%s" % (name, rc, expected, out[-3000:]))
        changed = {h: c.get("changed") for h, c in recap(out).items() if c.get("changed")}
        if changed:
            problems.append("%s changed hosts: %s" % (name, changed))
    assert not problems, "\n\n".join(problems)
    # The running cluster is untouched: same server processes, same pg_hba.conf.
    assert {h: client.value("SELECT pg_postmaster_start_time()", h) for h in DB_HOSTS} == start_times
    assert {h: as_postgres(h, CONFIG_DIGEST) for h in DB_HOSTS} == hba_before


def test_reloadable_setting_applies_without_a_restart(client, start_times):
    rc, out = run_playbook(extra_vars={"postgresql_settings": {"work_mem": "12MB"}})
    assert rc == 0, out[-4000:]
    assert "Restart PostgreSQL one host at a time" not in out
    for host in DB_HOSTS:
        assert client.value("SHOW work_mem", host) == "12MB"
        assert client.value("SELECT pg_postmaster_start_time()", host) == start_times[host]


def test_restart_only_setting_applies_after_a_restart(client, start_times):
    rc, out = run_playbook(extra_vars={"postgresql_settings": {"work_mem": "12MB"},
                                       "postgresql_max_connections": 250})
    assert rc == 0, out[-4000:]
    assert "Restart PostgreSQL one host at a time" in out
    for host in DB_HOSTS:
        assert client.value("SHOW max_connections", host) == "250"
        assert client.value("SELECT pg_postmaster_start_time()", host) != start_times[host]
        assert as_postgres(host, "SELECT count(*) FROM pg_settings WHERE pending_restart") == "0"
    # The role waited for each replica to stream again before it finished.
    rows = as_postgres(PRIMARY, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    assert rows == "2"


def test_rerunning_the_role_never_reseeds_a_healthy_replica(client, seeds):
    # Converge, idempotence and the re-runs above all ran against these replicas.
    for replica in REPLICAS:
        assert backup_label(replica) == seeds[replica]
        assert client.value("SELECT count(*) > 0 FROM molecule_marker", replica) == "t"
