import pytest

from ansible_collections.scaleout.webstack.plugins.module_utils import secrets, topology


@pytest.mark.parametrize("value", ["", "changeme", "password", "secret", "CHANGEME", "vault_pg_password", None])
def test_placeholders_and_unset_are_refused(value):
    assert secrets.secret_error(value, "postgresql_app_password", "pg1")


def test_short_secret_names_length_host_and_variable():
    msg = secrets.secret_error("short-but-real", "redis_password", "redis-1")
    assert msg == "redis_password (host redis-1) is 14 characters; it needs at least 16"


def test_good_secret_passes():
    assert secrets.secret_error("Zq8#kd02!xLmQ71vT", "jwt_secret") is None


def test_secret_errors_lists_each_bad_secret_sorted():
    errors = secrets.secret_errors({"b": "changeme", "a": None, "c": "x" * 20}, host="h")
    assert [e.split()[0] for e in errors] == ["a", "b"]


def test_private_address_precedence():
    hv = {
        "explicit": {"webstack_private_address": "10.0.0.5", "ansible_default_ipv4": {"address": "1.1.1.1"}},
        "facts": {"ansible_default_ipv4": {"address": "10.0.0.6"}, "ansible_host": "x"},
        "conn": {"ansible_host": "10.0.0.7"},
        "bare": {},
    }
    assert topology.private_addresses(hv, ["explicit", "facts", "conn", "bare"]) == [
        "10.0.0.5", "10.0.0.6", "10.0.0.7", "bare"]
