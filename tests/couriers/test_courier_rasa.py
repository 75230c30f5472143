"""The couriers' webhooks on a real Rasa server started with the project's credentials.yml:
mounted on Rasa's port beside the other channels, refusing strangers, storing before 2xx."""

from contextlib import ExitStack

import pytest

from couriers.pathao import INTEGRATION_HEADER, INTEGRATION_VALUE
from tests.couriers.helpers import (
    SECRETS,
    ago,
    events,
    notices,
    order,
    pathao_call,
    redx_call,
    steadfast_call,
)
from tests.servers import ROOT, http

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rasa(shop_db_module, tmp_path_factory):
    from tests.servers import start_rasa_stack

    env = {
        "DATABASE_URL": shop_db_module,
        "PATHAO_WEBHOOK_SECRET": SECRETS["pathao"],
        "STEADFAST_WEBHOOK_TOKEN": SECRETS["steadfast"],
        "REDX_WEBHOOK_TOKEN": SECRETS["redx"],
    }
    with ExitStack() as stack:
        yield start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("couriers-stack"),
            env=env,
            credentials=ROOT / "credentials.yml",
            with_actions=False,  # the webhooks never reach the bot
        )


def send(rasa, courier, request):
    """POST a call; also returns the response headers (urllib, outside tests.servers.http)."""
    import json
    import urllib.error
    import urllib.request

    path, body, headers = request
    url = f"{rasa.url}/webhooks/{courier}/webhook{path}"
    data = json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_the_webhooks_are_mounted_and_configured(rasa):
    for courier in ("pathao", "steadfast", "redx"):
        assert http("GET", f"{rasa.url}/webhooks/{courier}/") == (
            200,
            {"status": "ok", "configured": True},
        )


def test_strangers_are_refused_and_nothing_is_stored(rasa, shop_db_module):
    delivered = pathao_call("PTH123456", "order.delivered", ago(5))
    assert send(rasa, "pathao", ("", delivered[1], {}))[0] == 401
    assert send(rasa, "pathao", ("", delivered[1], {"X-PATHAO-Signature": "guess"}))[0] == 401
    sf = steadfast_call("SF40457123", "delivered", ago(5))
    assert send(rasa, "steadfast", ("", sf[1], {"Authorization": "Bearer guess"}))[0] == 401
    rx = redx_call("RDX10458777", "delivered", ago(5))
    assert send(rasa, "redx", ("?token=guess", rx[1], {}))[0] == 401
    assert events(shop_db_module) == []
    assert order(shop_db_module, "10456").status == "shipped"


def test_a_signed_call_is_stored_applied_and_announced_before_the_answer(rasa, shop_db_module):
    call = pathao_call("PTH123456", "order.delivered", ago(5))
    status, headers = send(rasa, "pathao", call)
    assert status == 202 and headers.get(INTEGRATION_HEADER) == INTEGRATION_VALUE
    # Read right after the answer: committed before it was sent.
    (event,) = [e for e in events(shop_db_module) if e.tracking_code == "PTH123456"]
    assert event.applied and event.stage == "delivered"
    assert order(shop_db_module, "10456").status == "delivered"
    assert [(n.kind, n.stage) for n in notices(shop_db_module)] == [("stage", "delivered")]
    assert send(rasa, "pathao", call)[0] == 202  # the courier's retry: nothing new
    assert len(events(shop_db_module)) == 1 and len(notices(shop_db_module)) == 1


def test_steadfast_and_redx_answer_as_documented(rasa, shop_db_module):
    assert send(rasa, "steadfast", steadfast_call("SF-UNKNOWN-1", None, ago(3)))[0] == 200
    assert send(rasa, "redx", redx_call("RDX-UNKNOWN-1", "delivered", ago(2)))[0] == 200
    stored = {e.tracking_code: e for e in events(shop_db_module)}
    assert stored["SF-UNKNOWN-1"].order_id is None and stored["RDX-UNKNOWN-1"].order_id is None
