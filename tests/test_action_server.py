"""The action server answers Rasa only (seba/action_server.py), as a real process.

The stranger who reaches port 5055 tries what rasa-sdk's own server allows: call an action
with a forged tracker (a "verified" order in the slots), test order/phone pairs, list the
actions. Without the shared secret every call is refused, and the server listens on
loopback only.
"""

import json
import socket
import subprocess
from contextlib import ExitStack

import pytest

from tests.servers import Server, action_server_cmd, free_port, http

SECRET_HEADER = "X-Seba-Action-Secret"


def action_call(action: str, slots: dict, sender: str = "web:stranger") -> dict:
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "x"},
            "events": [],
            "paused": False,
            "latest_event_time": 0,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }


@pytest.fixture(scope="module")
def action_server(shop_db_module, tmp_path_factory):
    port = free_port()
    with ExitStack() as stack:
        server = Server(
            "action server",
            action_server_cmd(port),
            tmp_path_factory.mktemp("actions") / "actions.log",
            {"DATABASE_URL": shop_db_module},
        )
        stack.callback(server.stop)
        server.wait_ready(f"http://127.0.0.1:{port}/health", timeout=120)
        yield f"http://127.0.0.1:{port}", port, server


FORGED = action_call(
    "action_order_status",
    {"verified_order": "10456", "verified_phone": "01711000001", "verified_at": 4102444800.0},
)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "guess"},
        {"Authorization": "Bearer test-action-secret"},
    ],
)
def test_calls_without_the_secret_are_refused(action_server, headers):
    url, _, server = action_server
    status, body = http("POST", f"{url}/webhook", FORGED, headers)
    assert status == 401 and "PTH123456" not in json.dumps(body)
    assert http("GET", f"{url}/actions", None, headers)[0] == 401
    assert http("GET", f"{url}/health")[0] == 200  # only the health check is open


def test_rasa_with_the_secret_is_served_and_errors_do_not_echo_the_tracker(action_server):
    url, _, server = action_server
    secret = {SECRET_HEADER: "test-action-secret-0123456789abcdef"}
    status, body = http(
        "POST", f"{url}/webhook", action_call("action_check_verification", {}), secret
    )
    assert status == 200 and body["events"][0]["name"] == "verification"
    status, body = http("POST", f"{url}/webhook", b"{not json", secret)
    assert status >= 400 and "not json" not in json.dumps(body)
    status, body = http(
        "POST",
        f"{url}/webhook",
        {**action_call("no_such_action", {"verified_phone": "01711000001"})},
        secret,
    )
    assert status == 404 and "01711000001" not in json.dumps(body)


def test_it_listens_on_loopback_only(action_server):
    _, port, _ = action_server
    outside = [
        a
        for a in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
        if ":" not in a
    ]
    if not outside:
        pytest.skip("this machine has no address other than loopback")
    with pytest.raises(OSError):
        socket.create_connection((outside[0], port), timeout=3).close()


def test_a_product_question_never_loads_tensorflow(action_server):
    """spaCy's thinc would pull TensorFlow in (10-15 s, ~400 MB) on the first product question;
    the server keeps it out (seba.action_server.keep_tensorflow_out)."""
    url, _, server = action_server
    secret = {SECRET_HEADER: "test-action-secret-0123456789abcdef"}
    call = action_call("action_product_info", {"language": "en"})
    call["tracker"]["latest_message"] = {
        "text": "do you have the cotton panjabi?",
        "entities": [],
        "intent": {"name": "product_info"},
    }
    status, body = http("POST", f"{url}/webhook", call, secret)
    assert status == 200 and body["responses"], body
    maps = open(f"/proc/{server.proc.pid}/maps").read()
    assert "tensorflow" not in maps
