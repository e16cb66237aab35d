"""The whole stack, verified from cl-client through the LB only."""
import json

from conftest import APP_NODES, LB, pm2_online


def test_every_node_answers_through_the_lb(probe):
    served = probe("nodes", 60)["served"]
    assert sorted(served) == APP_NODES, served


def test_each_node_runs_its_configured_workers(nodes):
    vcpus = int(nodes["cl-app-3"].ansible("setup", "filter=ansible_processor_vcpus")["ansible_facts"]["ansible_processor_vcpus"])
    expected = {"cl-app-1": 1, "cl-app-2": 2, "cl-app-3": vcpus}
    assert {n: len(pm2_online(h)) for n, h in nodes.items()} == expected


def test_pm2_runs_cluster_mode_as_the_app_user(nodes):
    procs = pm2_online(nodes["cl-app-2"])
    assert {p["pm2_env"]["exec_mode"] for p in procs} == {"cluster_mode"}
    assert nodes["cl-app-2"].run("ps -o user= -p %d" % procs[0]["pid"]).stdout.strip() == "webstack"


def test_http_redirects_to_https_and_headers_are_safe(client):
    redirect = client.run("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' http://%s/version" % LB).stdout
    assert redirect.split()[0] in ("301", "308") and redirect.split()[1].startswith("https://")
    headers = client.run("curl -skI https://%s/version" % LB).stdout.lower()
    assert "strict-transport-security" in headers and "x-content-type-options: nosniff" in headers
    server = [h for h in headers.splitlines() if h.startswith("server:")]
    assert server == ["server: nginx\r"] or server == ["server: nginx"], server


def test_session_made_on_one_node_is_valid_on_the_others(probe):
    result = probe("session", *APP_NODES)
    assert sorted(result["seen"]) == APP_NODES, result
    for node, answers in result["seen"].items():
        assert all(status == 200 and same_user for status, same_user in answers), (node, answers)


def test_upload_through_one_node_downloads_through_the_others(probe):
    result = probe("upload", *APP_NODES)
    assert sorted(result["seen"]) == APP_NODES, result
    for node, answers in result["seen"].items():
        assert all(status == 200 and same for status, same in answers), (node, answers)


def test_row_written_is_read_back_from_a_replica(probe):
    result = probe("replica")
    assert result["read"] is not None, result
    assert result["read"]["name"] == result["written"]["name"]
    assert result["read"]["source"] == "replica"


def test_jwt_signed_on_one_node_verifies_on_all(probe):
    result = probe("jwt", *APP_NODES)
    assert sorted(result["seen"]) == APP_NODES, result
    for node, answers in result["seen"].items():
        assert all(status == 200 and user == "jwt-user" for status, user in answers), (node, answers)
    assert result["tampered_status"] == 401


def test_socketio_message_crosses_nodes(client):
    out = client.run("node /opt/sio-probe.js https://%s" % LB)
    assert out.rc == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert result["sender_node"] != result["receiver_node"], result
    assert result["received"] == result["sent"]
