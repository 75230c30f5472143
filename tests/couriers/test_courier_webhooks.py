"""The couriers' webhooks over real HTTP (a Sanic server around each courier's channel, as
Rasa mounts it) on a demo shop database: strangers first, then what a courier's call does."""

import json

import pytest
from sqlalchemy import text

from couriers.pathao import INTEGRATION_HEADER, INTEGRATION_VALUE, PathaoWebhook
from couriers.redx import RedXWebhook
from couriers.steadfast import SteadfastWebhook
from couriers.webhook import MAX_BODY_BYTES
from seba.db import session_scope
from tests.channels.helpers import Collector, async_test, post, serve_channel
from tests.couriers.helpers import (
    CALLS,
    SECRETS,
    WORDS,
    ago,
    events,
    notices,
    order,
    parcel,
    pathao_call,
    redx_call,
    steadfast_call,
)

WEBHOOKS = {"pathao": PathaoWebhook, "steadfast": SteadfastWebhook, "redx": RedXWebhook}
COURIERS = list(WEBHOOKS)
ACCEPTED = {"pathao": 202, "steadfast": 200, "redx": 200}
CODES = {"pathao": "DL121224VS8TTJ", "steadfast": "SF99887766", "redx": "21A427TU4BN3R"}


async def call(url, courier, secret, path, body, headers):
    async with serve_channel(WEBHOOKS[courier](secret, url), Collector()) as base:
        return await post(base + "/webhook" + path, body, headers)


async def calls(url, courier, *requests, secret="default"):
    """Several calls to one running webhook; returns the answers."""
    secret = SECRETS[courier] if secret == "default" else secret
    answers = []
    async with serve_channel(WEBHOOKS[courier](secret, url), Collector()) as base:
        for path, body, headers in requests:
            answers.append(await post(base + "/webhook" + path, body, headers))
    return answers


def nothing_stored(url):
    assert events(url) == [] and notices(url) == []


# --- strangers ---------------------------------------------------------------------------


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_a_courier_without_a_secret_refuses_every_call(db_url, courier):
    number = parcel(db_url, courier, CODES[courier])
    path, body, headers = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    for secret in (None, ""):
        answer = await call(db_url, courier, secret, path, body, headers)
        assert answer.status == 401
    blank = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5), secret=" ")
    assert (await call(db_url, courier, None, *blank)).status == 401
    nothing_stored(db_url)
    assert order(db_url, number).status == "shipped"


def wrong_credentials(courier):
    """(path, headers) a stranger might try: none, wrong, right one in the wrong place."""
    secret = SECRETS[courier]
    tries = [("", {}), ("", {"X-PATHAO-Signature": "wrong"}), ("?token=wrong", {})]
    tries += [("", {"Authorization": "Bearer wrong"}), ("", {"Authorization": secret})]
    if courier != "pathao":
        tries += [("", {"X-PATHAO-Signature": secret})]
    if courier != "steadfast":
        tries += [("", {"Authorization": f"Basic {secret}"})]
    if courier != "redx":
        tries += [(f"?token={secret}", {})]
    if courier == "pathao":
        tries += [("", {"Authorization": f"Bearer {secret}"})]
        tries += [
            ("", {"X-PATHAO-Signature": secret + "x"}),
            ("", {"X-PATHAO-Signature": secret[:-1]}),
        ]
    return tries


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_unsigned_or_wrongly_signed_calls_are_refused_and_change_nothing(db_url, courier):
    number = parcel(db_url, courier, CODES[courier])
    _, body, _ = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    tries = wrong_credentials(courier)
    answers = await calls(db_url, courier, *[(path, body, headers) for path, headers in tries])
    assert [a.status for a in answers] == [401] * len(tries)
    if courier == "pathao":  # no integration header: Pathao's own test fails visibly
        assert all(INTEGRATION_HEADER not in a.headers for a in answers)
    nothing_stored(db_url)
    assert order(db_url, number).status == "shipped"


@async_test
async def test_pathaos_setup_test_needs_the_secret_too(db_url):
    test_call = {"event": "webhook_integration"}
    signed, unsigned = await calls(
        db_url,
        "pathao",
        ("", test_call, {"X-PATHAO-Signature": SECRETS["pathao"]}),
        ("", test_call, {}),
    )
    assert signed.status == 202 and signed.headers[INTEGRATION_HEADER] == INTEGRATION_VALUE
    assert unsigned.status == 401 and INTEGRATION_HEADER not in unsigned.headers
    for secret in (None, ""):  # not set up: even the set-up test fails
        (answer,) = await calls(
            db_url, "pathao", ("", test_call, {"X-PATHAO-Signature": ""}), secret=secret
        )
        assert answer.status == 401 and INTEGRATION_HEADER not in answer.headers
    nothing_stored(db_url)


def malformed(courier):
    path, body, headers = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    deep = {"a": None}
    for _ in range(40):
        deep = {"a": deep}
    code_key = {"pathao": "consignment_id", "steadfast": "tracking_code", "redx": "tracking_number"}
    no_code = {k: v for k, v in body.items() if k not in (code_key[courier], "consignment_id")}
    bodies = [
        b"",
        b"not json",
        b"[1, 2]",
        b'"a string"',
        json.dumps({**body, "nested": deep}).encode(),
        no_code,
        {**body, code_key[courier]: {"$gt": ""}},
        {**body, code_key[courier]: "X" * 61},
        {**body, "status": "s" * 81, "event": "e" * 81},
        {**body, "timestamp": "not a time", "updated_at": "not a time"},
    ]
    return [(path, b, headers) for b in bodies]


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_malformed_bodies_get_400_and_nothing_is_stored(db_url, courier):
    number = parcel(db_url, courier, CODES[courier])
    requests = malformed(courier)
    answers = await calls(db_url, courier, *requests)
    assert [a.status for a in answers] == [400] * len(requests)
    nothing_stored(db_url)
    assert order(db_url, number).status == "shipped"


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_an_oversized_body_is_refused(db_url, courier):
    path, body, headers = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    big = {**body, "padding": "x" * MAX_BODY_BYTES}
    (answer,) = await calls(db_url, courier, (path, big, headers))
    assert answer.status == 413
    nothing_stored(db_url)


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_text_that_looks_like_code_is_only_text(db_url, courier):
    """SQL, YAML or script in a tracking code or message is stored as it came, links nothing."""
    number = parcel(db_url, courier, CODES[courier])
    tricks = ["' OR '1'='1", "PTH123456' --", "!!python/object:os.system", "<script>x</script>"]
    requests = [
        CALLS[courier](trick, WORDS[courier]["delivered"], ago(5), reason=trick) for trick in tricks
    ]
    answers = await calls(db_url, courier, *requests)
    assert [a.status for a in answers] == [ACCEPTED[courier]] * len(tricks)
    stored = events(db_url)
    assert [e.tracking_code for e in stored] == tricks
    assert all(e.order_id is None and not e.applied for e in stored)
    assert notices(db_url) == []
    assert order(db_url, number).status == "shipped"


# --- a courier's calls ----------------------------------------------------------------------


@async_test
async def test_pathaos_documented_calls_move_the_order_and_write_notices(db_url):
    code = CODES["pathao"]
    number = parcel(db_url, "pathao", code)
    life = [
        ("order.picked", 60, "shipped", "picked_up"),
        ("order.at-the-sorting-hub", 50, "shipped", "in_transit"),
        ("order.assigned-for-delivery", 20, "out_for_delivery", "out_for_delivery"),
        ("order.delivered", 5, "delivered", "delivered"),
    ]
    times = {minutes: ago(minutes) for _, minutes, _, _ in life}
    async with serve_channel(PathaoWebhook(SECRETS["pathao"], db_url), Collector()) as base:
        for event, minutes, status, stage in life:
            path, body, headers = pathao_call(code, event, times[minutes])
            answer = await post(base + "/webhook" + path, body, headers)
            # Durable before the answer: the row is in the database when the answer arrives.
            assert events(db_url)[-1].raw_status == event
            assert answer.status == 202
            assert answer.headers[INTEGRATION_HEADER] == INTEGRATION_VALUE
            now = order(db_url, number)
            assert (now.status, now.courier_stage) == (status, stage)
            assert now.courier_stage_at == times[minutes]
    assert now.delivered_at == times[5]
    stored = events(db_url)
    assert all(e.applied and e.order_id == now.id and e.courier == "pathao" for e in stored)
    assert json.loads(stored[0].payload)["merchant_order_id"] == "TS-123"
    written = notices(db_url)
    assert [(n.kind, n.stage, n.state) for n in written] == [
        ("stage", "picked_up", "pending"),
        ("stage", "out_for_delivery", "pending"),
        ("stage", "delivered", "pending"),
    ]
    assert all(n.conversation_id is None and n.order_id == now.id for n in written)
    assert [n.courier_event_id for n in written] == [stored[0].id, stored[2].id, stored[3].id]


@async_test
async def test_steadfasts_documented_calls(db_url):
    code = CODES["steadfast"]
    number = parcel(db_url, "steadfast", code)
    answers = await calls(
        db_url,
        "steadfast",
        steadfast_call(code, None, ago(40)),  # tracking_update: stored, for the shop
        steadfast_call(code, "hold", ago(30)),
        steadfast_call(code, "Delivered", ago(5)),
    )
    assert [a.status for a in answers] == [200, 200, 200]
    success = {"status": "success", "message": "Webhook received successfully."}
    assert [json.loads(await a.text()) for a in answers] == [success] * 3
    tracking, hold, delivered = events(db_url)
    assert (tracking.raw_status, tracking.stage, tracking.applied) == (
        "tracking_update",
        None,
        False,
    )
    assert tracking.message == "Package arrived at the sorting center."
    assert (hold.stage, hold.applied, delivered.stage, delivered.applied) == (
        "failed_attempt", True, "delivered", True,
    )  # fmt: skip
    assert order(db_url, number).status == "delivered"
    assert [(n.kind, n.stage) for n in notices(db_url)] == [
        ("failed_attempt", "failed_attempt"),
        ("stage", "delivered"),
    ]


@async_test
async def test_redx_documented_calls(db_url):
    code = CODES["redx"]
    number = parcel(db_url, "redx", code)
    answers = await calls(
        db_url,
        "redx",
        redx_call(code, "ready-for-delivery", ago(90)),
        redx_call(code, "delivery-in-progress", ago(30)),
        redx_call(code, "agent-hold", ago(10)),
    )
    assert [(a.status, json.loads(await a.text())) for a in answers] == [
        (200, {"success": True})
    ] * 3
    now = order(db_url, number)
    # A failed attempt leaves the status; the stage says what happened.
    assert (now.status, now.courier_stage) == ("out_for_delivery", "failed_attempt")
    assert events(db_url)[0].message == "আপনার পার্সেলটি ডেলিভারির পথে আছে"
    assert [(n.kind, n.stage) for n in notices(db_url)] == [
        ("stage", "picked_up"),
        ("stage", "out_for_delivery"),
        ("failed_attempt", "failed_attempt"),
    ]


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_a_replayed_event_is_stored_once_and_announced_once(db_url, courier):
    number = parcel(db_url, courier, CODES[courier])
    request = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    answers = await calls(db_url, courier, request, request, request)
    assert [a.status for a in answers] == [ACCEPTED[courier]] * 3  # "got it" each time
    assert len(events(db_url)) == 1
    assert len(notices(db_url)) == 1
    assert order(db_url, number).status == "delivered"


@pytest.mark.parametrize("courier", ["pathao", "redx"])  # Steadfast never reports in transit
@async_test
async def test_an_older_event_after_a_newer_one_is_stored_but_not_applied(db_url, courier):
    number = parcel(db_url, courier, CODES[courier])
    words, delivered_at = WORDS[courier], ago(5)
    await calls(
        db_url,
        courier,
        CALLS[courier](CODES[courier], words["delivered"], delivered_at),
        CALLS[courier](CODES[courier], words["in_transit"], ago(60)),  # arrives late
    )
    now = order(db_url, number)
    assert (now.status, now.courier_stage) == ("delivered", "delivered")
    assert now.courier_stage_at == delivered_at
    delivered, late = events(db_url)
    assert delivered.applied and not late.applied and late.order_id == now.id
    assert [n.stage for n in notices(db_url)] == ["delivered"]


@async_test
async def test_steadfast_out_of_order(db_url):
    code = CODES["steadfast"]
    number = parcel(db_url, "steadfast", code)
    await calls(
        db_url,
        "steadfast",
        steadfast_call(code, "delivered", ago(5)),
        steadfast_call(code, "hold", ago(60)),
    )
    assert order(db_url, number).courier_stage == "delivered"
    assert [e.applied for e in events(db_url)] == [True, False]
    assert [n.stage for n in notices(db_url)] == ["delivered"]


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_an_unknown_tracking_number_is_kept_for_the_shop(db_url, courier, caplog):
    number = parcel(db_url, courier, CODES[courier])
    (answer,) = await calls(
        db_url, courier, CALLS[courier]("NOT-OURS-1", WORDS[courier]["delivered"], ago(5))
    )
    assert answer.status == ACCEPTED[courier]
    (event,) = events(db_url)
    assert (event.tracking_code, event.order_id, event.applied) == ("NOT-OURS-1", None, False)
    assert notices(db_url) == []
    assert order(db_url, number).status == "shipped"
    assert "NOT-OURS-1 matches no" in caplog.text


@async_test
async def test_another_couriers_tracking_number_does_not_move_its_order(db_url):
    """A Pathao call naming a Steadfast parcel's code links nothing (orders.courier)."""
    number = parcel(db_url, "steadfast", "SF55554444")
    await calls(db_url, "pathao", pathao_call("SF55554444", "order.delivered", ago(5)))
    (event,) = events(db_url)
    assert event.order_id is None
    assert order(db_url, number).status == "shipped"


@async_test
async def test_a_status_the_customer_need_not_hear_is_stored_not_applied(db_url):
    number = parcel(db_url, "pathao", CODES["pathao"])
    await calls(db_url, "pathao", pathao_call(CODES["pathao"], "order.paid", ago(5)))
    (event,) = events(db_url)
    assert (event.stage, event.applied, event.order_id is not None) == (None, False, True)
    assert order(db_url, number).courier_stage is None and notices(db_url) == []


@async_test
async def test_each_failed_attempt_is_news_but_a_repeated_stage_is_not(db_url):
    code = CODES["pathao"]
    number = parcel(db_url, "pathao", code)
    await calls(
        db_url,
        "pathao",
        pathao_call(code, "order.delivery-failed", ago(300)),
        pathao_call(code, "order.delivery-failed", ago(100)),  # the next day's try
        pathao_call(code, "order.at-the-sorting-hub", ago(90)),
        pathao_call(code, "order.in-transit", ago(80)),
    )
    assert [n.kind for n in notices(db_url)] == ["failed_attempt", "failed_attempt"]
    assert order(db_url, number).courier_stage == "in_transit"


@pytest.mark.parametrize("courier", COURIERS)
@async_test
async def test_when_the_database_cannot_take_it_the_courier_gets_503(db_url, courier, tmp_path):
    number = parcel(db_url, courier, CODES[courier])
    request = CALLS[courier](CODES[courier], WORDS[courier]["delivered"], ago(5))
    with session_scope(db_url) as session:  # the table is gone: every insert fails
        session.execute(text("ALTER TABLE courier_events RENAME TO courier_events_away"))
    (answer,) = await calls(db_url, courier, request)
    assert answer.status == 503
    with session_scope(db_url) as session:
        session.execute(text("ALTER TABLE courier_events_away RENAME TO courier_events"))
    assert order(db_url, number).status == "shipped" and notices(db_url) == []
    (retry,) = await calls(db_url, courier, request)  # the courier's retry goes through
    assert retry.status == ACCEPTED[courier] and len(events(db_url)) == 1
