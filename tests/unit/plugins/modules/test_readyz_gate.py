"""readyz_gate end to end: the module runs as a subprocess with ANSIBLE_MODULE_ARGS, as Ansible runs it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[4] / "build" / "collections"
MODULE = "ansible_collections.scaleout.webstack.plugins.modules.readyz_gate"

# The real HTTP(S) test server and throwaway PKI live with the module_utils tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from test_readyz import ScriptedServer, pki, step  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


def run_module(tmp_path, **args):
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    proc = subprocess.run([sys.executable, "-m", MODULE, str(args_file)], env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    return proc.returncode, json.loads(proc.stdout)


def test_ready_returns_the_results_unchanged(tmp_path):
    with ScriptedServer([503, step(200, {"status": "ok"})]) as server:
        rc, result = run_module(tmp_path, url=server.url(), period=0.05, expect="status == 'ok'")
    assert rc == 0 and not result.get("failed")
    assert result["changed"] is False and result["ready"] is True
    assert result["attempts"] == 2 and result["status"] == 200 and result["json"] == {"status": "ok"}
    assert [h["ok"] for h in result["history"]] == [False, True]
    assert result["urls"][0]["url"] == server.url()


def test_not_ready_fails_naming_url_status_and_body(tmp_path):
    with ScriptedServer([step(503, {"status": "starting", "detail": "waiting for postgres"})]) as server:
        rc, result = run_module(tmp_path, url=[server.url()], period=0.05, failure_threshold=2)
    assert rc == 1 and result["failed"] and result["ready"] is False
    assert server.url() in result["msg"] and "last status 503" in result["msg"]
    assert "waiting for postgres" in result["msg"]
    assert result["attempts"] == 2 and result["failed_url"] == server.url()
    assert result["json"]["status"] == "starting" and len(result["history"]) == 2


def test_check_mode_still_probes(tmp_path):
    with ScriptedServer([200]) as server:
        rc, result = run_module(tmp_path, url=server.url(), _ansible_check_mode=True)
    assert rc == 0 and result["ready"] and result["changed"] is False
    assert len(server.requests) == 1


def test_several_urls_and_tls_with_ca_path(tmp_path, pki):
    from test_readyz import server_tls
    with ScriptedServer([200], tls=server_tls(pki)) as tls, ScriptedServer([503, 200]) as plain:
        rc, result = run_module(tmp_path, url=[tls.url(), plain.url()], ca_path=pki["ca"], period=0.05)
    assert rc == 0 and result["ready"]
    assert [u["ready"] for u in result["urls"]] == [True, True]


@pytest.mark.parametrize("args, message", [
    ({"period": 0}, "period must be greater than 0"),
    ({"timeout": 0}, "timeout must be greater than 0"),
    ({"deadline": -1}, "deadline must be greater than 0"),
    ({"success_threshold": 0}, "success_threshold must be 1 or more"),
    ({"failure_threshold": 0}, "failure_threshold must be 1 or more"),
    ({"client_key": "/tmp/key.pem"}, "client_cert"),
    ({"period": "soon"}, "period"),
])
def test_invalid_arguments_fail_clearly(tmp_path, args, message):
    rc, result = run_module(tmp_path, url="http://127.0.0.1:1/readyz", **args)
    assert rc == 1 and result["failed"] and message in result["msg"]
