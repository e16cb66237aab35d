"""The load balancer's arithmetic: weights, upstream servers, preflight, drain."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.scaleout.webstack.plugins.filter.loadbalancer import FilterModule
from ansible_collections.scaleout.webstack.plugins.module_utils import loadbalancer as lb

FILTERS = FilterModule().filters()


def _inventory():
    groups = {"app": ["app-1", "app-2", "app-3"], "lb": ["lb-1"]}
    hostvars = {
        "app-1": {"app_workers": 1, "ansible_default_ipv4": {"address": "10.0.0.11"}},
        "app-2": {"app_workers": "2", "webstack_private_address": "10.0.0.12", "app_node_port": 3100},
        "app-3": {"app_workers": "max", "ansible_processor_vcpus": 8, "ansible_host": "10.0.0.13"},
        "lb-1": {},
    }
    return groups, hostvars


def test_upstream_servers_weights_ports_addresses_in_inventory_order():
    groups, hostvars = _inventory()
    assert lb.upstream_servers(hostvars, groups) == [
        {"host": "app-1", "address": "10.0.0.11", "port": 3000, "weight": 1, "down": False},
        {"host": "app-2", "address": "10.0.0.12", "port": 3100, "weight": 2, "down": False},
        {"host": "app-3", "address": "10.0.0.13", "port": 3000, "weight": 8, "down": False},
    ]


def test_drained_servers_are_down():
    groups, hostvars = _inventory()
    servers = FILTERS["nginx_lb_upstream_servers"](hostvars, groups, drained=["app-2"])
    assert [s["down"] for s in servers] == [False, True, False]


def test_max_without_facts_uses_fallback():
    assert lb.node_weight({"app_workers": "max"}, max_weight_fallback=3) == 3


@pytest.mark.parametrize("facts, expected", [
    ({"ansible_processor_vcpus": 4}, 4),
    ({"ansible_facts": {"processor_vcpus": 6}}, 6),
    ({"ansible_processor_vcpus": 0}, 2),
    ({"ansible_processor_vcpus": "garbage"}, 2),
])
def test_max_reads_vcpus_from_facts(facts, expected):
    assert lb.node_weight(dict(facts, app_workers="max")) == expected


def test_invalid_workers_raise_in_filter():
    groups = {"app": ["a"]}
    with pytest.raises(AnsibleFilterError, match="app_workers"):
        FILTERS["nginx_lb_upstream_servers"]({"a": {"app_workers": 0}}, groups)


def test_no_app_group_gives_empty_upstream():
    assert lb.upstream_servers({}, {}) == []


def test_unset_workers_mean_one_as_on_app_nodes():
    assert lb.upstream_servers({"a": {}}, {"app": ["a"]})[0]["weight"] == 1
    assert lb.workers_error(None, "a") is None


@pytest.mark.parametrize("value", [1, 16, "3", "max"])
def test_valid_workers(value):
    assert lb.workers_error(value, "h") is None


@pytest.mark.parametrize("value, fragment", [
    (0, "at least 1"),
    (-2, "at least 1"),
    ("many", "integer >= 1"),
    (True, "integer >= 1"),
    (5000, "more than"),
])
def test_invalid_workers_name_host_and_variable(value, fragment):
    msg = lb.workers_error(value, "app-7")
    assert msg.startswith("app_workers (host app-7)")
    assert fragment in msg


def _errors(groups=None, hostvars=None, **kwargs):
    if groups is None:
        groups, hostvars = _inventory()
    kwargs.setdefault("tls_self_signed", True)
    kwargs.setdefault("socketio_polling", False)
    return FILTERS["nginx_lb_errors"](hostvars, groups, **kwargs)


def test_good_inventory_has_no_errors():
    assert _errors() == []


def test_empty_app_group_is_an_error():
    assert _errors({"app": []}, {}) == [
        "group 'app' is empty or missing; the load balancer needs at least one app node"]


def test_every_bad_host_is_reported():
    groups = {"app": ["a", "b", "c"]}
    hostvars = {"a": {"app_workers": 0}, "b": {"app_workers": "lots"}, "c": {"app_workers": 2, "app_node_port": 70000}}
    errors = _errors(groups, hostvars)
    assert len(errors) == 3
    assert errors[0].startswith("app_workers (host a)")
    assert errors[1].startswith("app_workers (host b)")
    assert errors[2].startswith("app_node_port (host c)")
    assert _errors(groups, hostvars, check_workers=False) == [errors[2]]


def test_unknown_balancing_is_an_error():
    assert _errors(balancing="random")[0].startswith("nginx_lb_balancing is 'random'")


def test_hash_needs_a_key():
    assert "nginx_lb_hash_key" in _errors(balancing="hash", hash_key=" ")[0]


@pytest.mark.parametrize("balancing, ok", [
    ("least_conn", False), ("round_robin", False), ("hash", True), ("ip_hash", True)])
def test_socketio_polling_needs_sticky_balancing(balancing, ok):
    errors = _errors(balancing=balancing, socketio_polling=True)
    assert (errors == []) == ok
    if not ok:
        assert "app_socketio_polling" in errors[0] and "hash or ip_hash" in errors[0]


def test_socketio_polling_is_read_from_app_hosts_default_true():
    groups, hostvars = _inventory()
    assert len(_errors(groups, hostvars, socketio_polling=None)) == 1
    for host in groups["app"]:
        hostvars[host]["app_socketio_polling"] = False
    assert _errors(groups, hostvars, socketio_polling=None) == []


def test_one_app_node_needs_no_stickiness():
    groups = {"app": ["a"]}
    assert _errors(groups, {"a": {"app_workers": 1}}, socketio_polling=True) == []


def test_tls_files_required_unless_self_signed():
    errors = _errors(tls_self_signed=False, tls_cert_src="/x/cert.pem")
    assert len(errors) == 1 and errors[0].startswith("nginx_lb_tls_key_src is not set")
    assert _errors(tls_self_signed=False, tls_cert_src="c", tls_key_src="k") == []


GOOD_LIMIT = {"name": "api", "rate": "10r/s", "burst": 20, "locations": ["/api/"]}


def test_good_rate_limits_pass():
    assert _errors(rate_limits=[GOOD_LIMIT, {"name": "login", "rate": "5r/m", "locations": ["/login"]}]) == []


@pytest.mark.parametrize("entry, fragment", [
    ("api", "must be a mapping"),
    (dict(GOOD_LIMIT, name="bad name"), ".name is 'bad name'"),
    (dict(GOOD_LIMIT, rate="10/s"), ".rate is '10/s'"),
    (dict(GOOD_LIMIT, burst=-1), ".burst is -1"),
    (dict(GOOD_LIMIT, size="lots"), ".size is 'lots'"),
    (dict(GOOD_LIMIT, nodelay="yes"), ".nodelay must be true or false"),
    (dict(GOOD_LIMIT, locations=[]), ".locations must be a non-empty list"),
    (dict(GOOD_LIMIT, locations=["api"]), ".locations has 'api'"),
    (dict(GOOD_LIMIT, locations=["/a; evil"]), ".locations has '/a; evil'"),
])
def test_bad_rate_limits_are_named(entry, fragment):
    errors = _errors(rate_limits=[entry])
    assert len(errors) == 1 and fragment in errors[0]
    assert errors[0].startswith("nginx_lb_rate_limits[0]")


def test_duplicate_rate_limit_names():
    errors = _errors(rate_limits=[GOOD_LIMIT, GOOD_LIMIT])
    assert errors == ["nginx_lb_rate_limits[1].name 'api' is used twice"]


def test_rate_limits_not_a_list():
    assert _errors(rate_limits={"name": "x"})[0].startswith("nginx_lb_rate_limits must be a list")


def test_locations_merge_limits_and_keep_root_and_socketio():
    limits = [GOOD_LIMIT, {"name": "all", "rate": "100r/s", "burst": 0, "nodelay": False,
                           "locations": ["/", "/api/", "/socket.io/"]}]
    locs = FILTERS["nginx_lb_locations"](limits)
    assert [loc["path"] for loc in locs] == ["/", "/api/", "/socket.io/"]
    assert [loc["websocket"] for loc in locs] == [False, False, True]
    assert locs[1]["limits"] == [{"zone": "api", "burst": 20, "nodelay": True},
                                 {"zone": "all", "burst": 0, "nodelay": False}]
    assert FILTERS["nginx_lb_locations"](None) == [
        {"path": "/", "websocket": False, "limits": []},
        {"path": "/socket.io/", "websocket": True, "limits": []}]


def test_drained_set_operations():
    drained = FILTERS["nginx_lb_drained"]
    assert drained(["b"], ["a", "b"], "drain") == ["a", "b"]
    assert drained(["a", "b"], ["a"], "undrain") == ["b"]
    assert drained(["a", "b"], [], "undrain_all") == []
    assert drained(["b", "gone"], [], "keep", known=["a", "b"]) == ["b"]
    with pytest.raises(AnsibleFilterError):
        drained([], ["a"], "explode")


def test_drain_errors():
    errors = FILTERS["nginx_lb_drain_errors"]
    known = ["a", "b"]
    assert errors(["a"], known) == []
    assert errors("a", known)[0].startswith("nginx_lb_nodes must be a list")
    assert errors([], known) == ["nginx_lb_nodes is empty; name the app nodes to drain"]
    assert "x is not in the load balancer's upstream" in errors(["x"], known)[0]
    assert "would leave no app node serving" in errors(["b"], known, current=["a"])[0]
    assert errors(["b"], known, current=["a"], allow_all_down=True) == []
    assert errors(["a", "b"], known, action="undrain") == []


def test_without_settings_each_lb_is_read_from_hostvars():
    groups, hostvars = _inventory()
    groups["lb"] = ["lb-1", "lb-2", "lb-3"]
    hostvars["lb-1"] = {"nginx_lb_tls_self_signed": True, "nginx_lb_balancing": "ip_hash"}
    hostvars["lb-2"] = {"nginx_lb_tls_self_signed": True, "nginx_lb_balancing": "random"}
    hostvars["lb-3"] = {}  # role defaults: least_conn, no TLS files
    errors = FILTERS["nginx_lb_errors"](hostvars, groups)
    assert errors == [
        "nginx_lb_balancing (host lb-2) is 'random'; it must be one of least_conn, round_robin, hash, ip_hash",
        "nginx_lb_balancing (host lb-3) is 'least_conn' but Socket.IO long-polling is enabled "
        "(app_socketio_polling, host app-1) with 3 app nodes; polling requests of one client must reach "
        "the same node: set nginx_lb_balancing to hash or ip_hash, or app_socketio_polling: false (WebSocket only)",
        "nginx_lb_tls_cert_src (host lb-3) is not set; give the certificate files on the controller "
        "or set nginx_lb_tls_self_signed: true",
        "nginx_lb_tls_key_src (host lb-3) is not set; give the certificate files on the controller "
        "or set nginx_lb_tls_self_signed: true",
    ]


def test_a_problem_shared_by_lbs_is_one_message():
    groups = {"app": ["a"], "lb": ["lb-1", "lb-2"]}
    hostvars = {"a": {}, "lb-1": {"nginx_lb_tls_self_signed": True, "nginx_lb_rate_limits": [{"name": "x"}]},
                "lb-2": {"nginx_lb_tls_self_signed": "true", "nginx_lb_rate_limits": [{"name": "x"}]}}
    errors = FILTERS["nginx_lb_errors"](hostvars, groups)
    assert len(errors) == 2
    assert errors[0] == ("nginx_lb_rate_limits[0].rate (hosts lb-1, lb-2) is None; "
                         "use N r/s or N r/m, e.g. '10r/s'"), errors
