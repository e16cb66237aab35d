import pytest

from ansible_collections.scaleout.webstack.plugins.module_utils import app, secrets


@pytest.mark.parametrize("value,expected", [(1, 1), ("3", 3), ("max", 8)])
def test_workers_resolves_integers_and_max(value, expected):
    hv = {"a": {"app_workers": value, "ansible_processor_vcpus": 8}}
    assert app.workers(hv, "a") == expected


def test_workers_max_without_facts_says_what_to_do():
    with pytest.raises(ValueError, match="gather facts"):
        app.workers({"a": {"app_workers": "max"}}, "a")


@pytest.mark.parametrize("value,fragment", [
    (0, "at least 1"), (-2, "at least 1"), ("many", "integer >= 1 or 'max'"), (True, "integer"),
    (65, "not supported"), (9, "at most 8"),
])
def test_impossible_worker_counts_are_named(value, fragment):
    hv = {"app-2": {"app_workers": value, "ansible_processor_vcpus": 2}}
    errors = app.worker_errors(hv, ["app-2"])
    assert len(errors) == 1 and "app-2" in errors[0] and fragment in errors[0]


GOOD = "Zq8#kd02!xLmQ71vT"


def _stack(workers=(1, 2), pool=5, max_conn=200, reserve=10, **app_vars):
    hv = {"pg": {"postgresql_max_connections": max_conn, "postgresql_connection_reserve": reserve}}
    for i, w in enumerate(workers):
        hv["app-%d" % i] = dict({"app_workers": w, "app_node_db_pool_size": pool, "ansible_processor_vcpus": 4,
                                "app_node_jwt_secret": GOOD, "app_node_session_secret": GOOD}, **app_vars)
    groups = {"app": sorted(k for k in hv if k.startswith("app")), "postgres_primary": ["pg"]}
    return hv, groups


def test_tier_passes_when_budget_fits():
    hv, groups = _stack()
    assert app.tier_errors(hv, groups, secrets.secret_error) == []


def test_tier_budget_names_the_numbers():
    hv, groups = _stack(workers=(4, "max"), pool=10, max_conn=80)
    errors = app.tier_errors(hv, groups, secrets.secret_error)
    assert errors == [e for e in errors if "need 80 connections" in e and "= 90 > postgresql_max_connections 80 (host pg)" in e]
    assert len(errors) == 1


def test_tier_secrets_named_per_host():
    hv, groups = _stack(app_node_jwt_secret="changeme")
    errors = app.tier_errors(hv, groups, secrets.secret_error)
    assert errors == ["app_node_jwt_secret (host app-0) is a placeholder; set a real secret",
                      "app_node_jwt_secret (host app-1) is a placeholder; set a real secret"]


def test_dotenv_quote_escapes():
    assert app.dotenv_quote('a"b$c\\d\ne') == '"a\\"b\\$c\\\\d\\ne"'


def test_release_id_is_content_hash_ignoring_node_modules(tmp_path):
    (tmp_path / "server.js").write_text("console.log(1)")
    first = app.release_id(str(tmp_path))
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.js").write_text("ignored")
    assert app.release_id(str(tmp_path)) == first
    (tmp_path / "server.js").write_text("console.log(2)")
    assert app.release_id(str(tmp_path)) != first and len(first) == 12


@pytest.mark.parametrize("rid,ok", [("abc123", True), ("v1.2.3", True), ("../x", False), ("", False), ("a b", False)])
def test_release_id_validation(rid, ok):
    assert (app.release_id_error(rid) is None) == ok
