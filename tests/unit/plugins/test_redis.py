import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.filter import redis as redis_filter
from ansible_collections.scaleout.webstack.plugins.module_utils import redis, secrets

GOOD = "Zq8#kd02!xLmQ71vT"
ADDR = {"redis-1": "10.0.0.1", "redis-2": "10.0.0.2", "redis-3": "10.0.0.3"}
HOSTS = ["redis-1", "redis-2", "redis-3"]
FILTERS = redis_filter.FilterModule().filters()


# -- sizes -----------------------------------------------------------------------
@pytest.mark.parametrize("value,expected", [
    (1024, 1024), ("1000", 1000), ("256mb", 256 * 1024 ** 2), ("2GB", 2 * 1024 ** 3), ("1g", 10 ** 9),
    (" 64kb ", 65536),
])
def test_parse_memory_units(value, expected):
    assert redis.parse_memory(value) == expected


@pytest.mark.parametrize("value", ["lots", "1.5gb", "-1", "12 parsecs", True, -5])
def test_parse_memory_refuses_nonsense(value):
    with pytest.raises(ValueError):
        redis.parse_memory(value)


def test_maxmemory_is_a_quarter_of_ram_in_whole_mib():
    assert redis.maxmemory_bytes(4001) == 1000 * 1024 ** 2


def test_maxmemory_override_wins_and_floor_applies():
    assert redis.maxmemory_bytes(4096, "512mb") == 512 * 1024 ** 2
    assert redis.maxmemory_bytes(100) == redis.MIN_MAXMEMORY


def test_maxmemory_without_facts_says_what_to_do():
    with pytest.raises(ValueError, match="redis_maxmemory"):
        redis.maxmemory_bytes(None)
    with pytest.raises(AnsibleFilterError):
        FILTERS["redis_maxmemory"](None)


@pytest.mark.parametrize("count,expected", [(1, 1), (3, 2), (5, 3), (7, 4)])
def test_quorum_is_a_majority(count, expected):
    assert redis.quorum(count) == expected
    assert FILTERS["redis_quorum"](count) == expected


def test_quorum_override():
    assert FILTERS["redis_quorum"](5, 2) == 2


# -- ACL -------------------------------------------------------------------------
def test_app_acl_line_hashes_password_and_drops_dangerous():
    line = FILTERS["redis_acl_line"]("webstack", GOOD)
    assert GOOD not in line
    assert line.startswith("user webstack on #" + hashlib.sha256(GOOD.encode()).hexdigest())
    tokens = line.split()
    assert tokens.index("-@dangerous") > tokens.index("+@all")
    assert {"+info", "+role", "&*", "~*"} <= set(tokens)
    assert tokens.index("+info") > tokens.index("-@dangerous")


def test_default_acl_line_is_unrestricted():
    assert FILTERS["redis_acl_line"]("default", GOOD, "default").endswith("~* &* +@all")


@pytest.mark.parametrize("user", ["", "with space", "x" * 65, "a>b"])
def test_acl_user_names_are_checked(user):
    with pytest.raises(ValueError):
        redis.acl_line(user, GOOD, ())


# -- current master --------------------------------------------------------------
def test_new_cluster_follows_inventory_order():
    m = redis.current_master([None, None, None], HOSTS, ADDR)
    assert m == {"host": "redis-1", "address": "10.0.0.1", "port": 6379, "source": "inventory"}


def test_sentinel_majority_wins_over_inventory_order():
    answers = ["10.0.0.2\n6379\n", "10.0.0.2\n6379", None]
    m = redis.current_master(answers, HOSTS, ADDR)
    assert (m["host"], m["source"]) == ("redis-2", "sentinel")


def test_sentinel_answers_as_lists_and_unknown_master():
    m = redis.current_master([["10.0.0.3", "6379"], "", "(nil)"], HOSTS, ADDR)
    assert m["host"] == "redis-3"


def test_sentinels_that_disagree_stop_the_run():
    with pytest.raises(ValueError, match="disagree"):
        redis.current_master(["10.0.0.1 6379", "10.0.0.2 6379"], HOSTS, ADDR)
    with pytest.raises(ValueError, match="disagree"):
        redis.current_master(["10.0.0.1 6379", "10.0.0.2 6379", "10.0.0.3 6379"], HOSTS, ADDR)


def test_sentinel_master_outside_inventory_has_no_host():
    m = redis.current_master(["10.9.9.9 6380"] * 3, HOSTS, ADDR)
    assert m["host"] is None and m["address"] == "10.9.9.9" and m["port"] == 6380


def test_running_replication_is_followed_when_sentinels_are_silent():
    infos = {"redis-1": {"role": "slave"}, "redis-2": {"role": "master", "connected_slaves": 2}, "redis-3": None}
    m = redis.current_master([None] * 3, HOSTS, ADDR, infos)
    assert (m["host"], m["source"]) == ("redis-2", "replication")


def test_standalone_masters_fall_back_to_inventory():
    infos = dict((h, {"role": "master", "connected_slaves": 0}) for h in HOSTS)
    assert redis.current_master([], HOSTS, ADDR, infos)["host"] == "redis-1"


def test_current_master_filter_uses_private_addresses():
    hv = dict((h, {"webstack_private_address": a}) for h, a in ADDR.items())
    m = FILTERS["redis_current_master"](["10.0.0.3\n6379"], HOSTS, hv)
    assert m["host"] == "redis-3"
    with pytest.raises(AnsibleFilterError):
        FILTERS["redis_current_master"]([], [], hv)


# -- preflight ------------------------------------------------------------------
def _inventory(sentinels=3, redis_hosts=3, **overrides):
    hv, groups = {}, {"redis": [], "sentinel": []}
    for i in range(1, max(sentinels, redis_hosts) + 1):
        hv["redis-%d" % i] = dict({"redis_password": GOOD, "redis_app_password": GOOD + "x"}, **overrides)
    groups["redis"] = ["redis-%d" % i for i in range(1, redis_hosts + 1)]
    groups["sentinel"] = ["redis-%d" % i for i in range(1, sentinels + 1)]
    return hv, groups


def test_good_inventory_has_no_errors():
    hv, groups = _inventory()
    assert FILTERS["redis_inventory_errors"](hv, groups) == []


@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_sentinel_count_must_be_odd_and_at_least_three(count):
    hv, groups = _inventory(sentinels=count)
    errors = redis.inventory_errors(hv, groups, secrets.secret_error)
    assert errors == ["group sentinel has %d host(s); it needs an odd number, at least 3, for a quorum" % count]


def test_empty_redis_group():
    hv, groups = _inventory()
    groups["redis"] = []
    assert any("group redis is empty" in e for e in redis.inventory_errors(hv, groups, secrets.secret_error))


@pytest.mark.parametrize("quorum,fragment", [(0, "between 1 and 3"), (4, "between 1 and 3"), ("two", "integer")])
def test_quorum_bounds_name_host_and_variable(quorum, fragment):
    hv, groups = _inventory()
    hv["redis-2"]["redis_sentinel_quorum"] = quorum
    errors = redis.inventory_errors(hv, groups, secrets.secret_error)
    assert len(errors) == 1 and "redis_sentinel_quorum (host redis-2)" in errors[0] and fragment in errors[0]


def test_each_bad_secret_is_one_message_naming_host_and_variable():
    hv, groups = _inventory()
    hv["redis-1"]["redis_password"] = "changeme"
    del hv["redis-3"]["redis_app_password"]
    hv["redis-2"]["redis_sentinel_password"] = "short"
    errors = redis.inventory_errors(hv, groups, secrets.secret_error)
    assert len(errors) == 3
    assert any(e.startswith("redis_password (host redis-1)") and "placeholder" in e for e in errors)
    assert any(e.startswith("redis_app_password (host redis-3)") and "not set" in e for e in errors)
    assert any(e.startswith("redis_sentinel_password (host redis-2)") for e in errors)


def test_sentinel_only_host_needs_redis_password():
    hv, groups = _inventory(sentinels=3, redis_hosts=1)
    hv["redis-3"].pop("redis_password")
    errors = redis.inventory_errors(hv, groups, secrets.secret_error)
    assert errors == ["redis_password (host redis-3) is not set; secrets have no defaults"]


def test_app_user_named_default_is_refused():
    hv, groups = _inventory(redis_app_user="default")
    assert len(redis.inventory_errors(hv, groups, secrets.secret_error)) == 3


# -- app env ----------------------------------------------------------------------
def test_app_env_lists_sentinels_and_defaults():
    hv, groups = _inventory()
    for h, a in ADDR.items():
        hv[h]["webstack_private_address"] = a
    hv["redis-2"]["redis_sentinel_port"] = 26380
    env = FILTERS["redis_app_env"](hv, groups)
    assert env == {
        "REDIS_SENTINELS": "10.0.0.1:26379,10.0.0.2:26380,10.0.0.3:26379",
        "REDIS_MASTER_NAME": "webstack",
        "REDIS_USERNAME": "webstack",
        "REDIS_PASSWORD": GOOD + "x",
        "REDIS_SENTINEL_PASSWORD": "",
    }


def test_app_env_reads_overrides():
    hv, groups = _inventory(redis_app_user="shop", redis_sentinel_master_name="main", redis_sentinel_password=GOOD)
    env = FILTERS["redis_app_env"](hv, groups)
    assert (env["REDIS_USERNAME"], env["REDIS_MASTER_NAME"], env["REDIS_SENTINEL_PASSWORD"]) == ("shop", "main", GOOD)


def test_app_env_without_sentinels_is_an_error():
    hv, groups = _inventory()
    groups["sentinel"] = []
    with pytest.raises(AnsibleFilterError, match="sentinel"):
        FILTERS["redis_app_env"](hv, groups)


def test_current_master_filter_reads_registered_results():
    hv = dict((h, {"webstack_private_address": a}) for h, a in ADDR.items())
    hv["redis-1"]["__info"] = {"failed": True, "msg": "auth"}
    hv["redis-2"]["__info"] = {"changed": False, "info": {"role": "slave"}}
    hv["redis-3"]["__info"] = {"changed": False, "info": {"role": "master", "connected_slaves": 1}}
    answers = [{"rc": 1, "stdout": ""}, {"rc": 0, "stdout": "(nil)"}]
    m = FILTERS["redis_current_master"](answers, HOSTS, hv, "__info")
    assert (m["host"], m["source"]) == ("redis-3", "replication")
    m = FILTERS["redis_current_master"](answers + [{"rc": 0, "stdout": "10.0.0.2\n6379"}], HOSTS, hv, "__info")
    assert (m["host"], m["source"]) == ("redis-2", "sentinel")


def test_current_master_filter_reads_redis_cli_info_results():
    hv = dict((h, {"webstack_private_address": a}) for h, a in ADDR.items())
    infos = [{"rc": 0, "stdout": "# Replication\nrole:slave\nmaster_host:10.0.0.3"},
             {"rc": 1, "stdout": ""},
             {"rc": 0, "stdout": "# Replication\r\nrole:master\r\nconnected_slaves:1\r\n"}]
    assert FILTERS["redis_current_master"]([], HOSTS, hv, infos)["host"] == "redis-3"


WANTED = {"quorum": 2, "down-after-milliseconds": 5000, "failover-timeout": 60000}


def test_sentinel_drift_only_lists_what_differs():
    lines = ["name", "webstack", "ip", "10.0.0.1", "quorum", "2", "down-after-milliseconds", "3000",
             "failover-timeout", "60000"]
    assert redis.sentinel_drift(lines, WANTED) == ["down-after-milliseconds", "5000"]
    lines[7] = "5000"
    assert FILTERS["redis_sentinel_drift"](lines, WANTED) == []


def test_sentinel_drift_without_a_master_sets_everything():
    drift = redis.sentinel_drift(["ERR No such master with that name"], WANTED)
    assert drift == ["down-after-milliseconds", "5000", "failover-timeout", "60000", "quorum", "2"]
