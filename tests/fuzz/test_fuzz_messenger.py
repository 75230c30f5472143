"""Fuzzing the Messenger webhook, every body signed with a valid ``X-Hub-Signature-256``.

Connector level: ``channels.facebook.MessengerInput`` on a real Sanic server, a stub Rasa that
answers every message, the fake Graph API. Stack level: the real Rasa and action servers.

For every generated batch: no 5xx (a body that is not a JSON object gets 400); the webhook
stays up; each customer gets what ``messenger_events`` promises for their events (a reply
per text, quick reply or postback, the polite "please write" per attachment, nothing for
echoes and receipts); and afterwards a plain "hello" from each of them is answered.
"""

import uuid

import pytest
from hypothesis import given, settings

from channels import TEXT_ONLY_REPLY
from channels.facebook import MessengerInput
from tests.channels.fakes import FakeGraph
from tests.channels.helpers import fb_sign
from tests.fuzz import stats
from tests.fuzz.harness import ConnectorServer
from tests.fuzz.messenger_events import SILENT, MessengerCase, any_cases, cases
from tests.fuzz.profiles import connector_examples, stack_examples
from tests.fuzz.stack_turns import fresh_id
from tests.fuzz.strategies import (
    HELLOS,
    encode_json,
    json_object,
    raw_bodies,
    visible_customer_texts,
)

VERIFY, SECRET, TOKEN = "fuzz-verify", "fuzz-app-secret", "FUZZ-PAGE-TOKEN"
CANARY = "9000000000000001"


@pytest.fixture(scope="module")
def messenger(shop_db_module):
    server = ConnectorServer(
        lambda api: MessengerInput(VERIFY, SECRET, TOKEN, graph_url=api.url, api_version="19.0"),
        FakeGraph(),
    )
    yield server
    server.close()


def post_signed(server: ConnectorServer, body: bytes):
    status, answer = server.post("/webhook", body, fb_sign(SECRET, body, sha1=False))
    assert status < 500, (status, answer)
    server.settle(60)
    return status


def hello(psid: str) -> dict:
    return {
        "object": "page",
        "entry": [
            {
                "id": "PAGE1",
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": psid},
                        "recipient": {"id": "PAGE1"},
                        "timestamp": 1,
                        "message": {"mid": uuid.uuid4().hex, "text": HELLOS[1]},
                    }
                ],
            }
        ],
    }


def check_customers_go_on(server: ConnectorServer, people) -> None:
    """The first customer of the batch (or a canary) still gets answers."""
    assert server.healthy(), "the webhook's health check failed"
    graph = server.fakes[0]
    for psid in list(people)[:1] or [CANARY]:
        before = len(graph.messages(psid))
        assert post_signed(server, encode_json(hello(psid))) == 200
        assert graph.messages(psid)[before:], f"{psid!r} is stuck: no answer to hello"


def run_case(server: ConnectorServer, case: MessengerCase) -> None:
    server.forget()
    payload = case.with_fresh_message_ids() if case.promises else case.payload
    status = post_signed(server, encode_json(payload))
    graph = server.fakes[0]
    people = list(dict.fromkeys(psid for psid, _ in case.events))
    stats.note(f"{status} {'promised' if case.promises else 'mutated'}")
    if case.promises:
        assert status == 200, status
        for psid, wanted in case.expected("reply").items():
            got = [m for m in graph.messages(psid) if m.get("text") != TEXT_ONLY_REPLY]
            assert len(got) >= wanted, f"{psid!r}: {len(got)} replies to {wanted} messages"
        for psid, wanted in case.expected("text_only").items():
            got = [m for m in graph.messages(psid) if m.get("text") == TEXT_ONLY_REPLY]
            assert len(got) >= wanted, f"{psid!r}: {len(got)} 'please write' for {wanted}"
        for psid in people:
            if all(expect == SILENT for p, expect in case.events if p == psid):
                assert not graph.messages(psid), f"{psid!r} got messages for receipts/echoes"
    check_customers_go_on(server, people)


@settings(max_examples=connector_examples(0.35))
@given(case=cases())
@stats.checked
def test_batches_of_events_get_their_replies(messenger, case):
    run_case(messenger, case)


@settings(max_examples=connector_examples(0.45))
@given(case=any_cases)
@stats.checked
def test_any_payload_gets_no_5xx_and_customers_go_on(messenger, case):
    run_case(messenger, case)


@settings(max_examples=connector_examples(0.2))
@given(body=raw_bodies)
@stats.checked
def test_bodies_that_are_not_a_json_object_get_400(messenger, body):
    messenger.forget()
    status = post_signed(messenger, body)
    stats.note(str(status))
    assert status == (400 if json_object(body) is None else 200), status
    check_customers_go_on(messenger, [])


@pytest.mark.parametrize(
    "batch",
    [
        {"object": "page", "entry": 1},
        {"object": "page", "entry": [{"messaging": 7}]},
        {
            "object": "page",
            "entry": [{"messaging": [{"sender": "123", "message": {"text": "hi"}}]}],
        },
    ],
)
def test_a_batch_of_odd_shape_gets_no_5xx(messenger, batch):
    """Found by the fuzzing: numbers where lists belong, a sender that is not an object."""
    body = encode_json(batch)
    status, answer = messenger.post("/webhook", body, fb_sign(SECRET, body, sha1=False))
    assert status == 200, (status, answer)


# --- the real stack -------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=stack_examples())
@given(text=visible_customer_texts)
@stats.checked
def test_on_the_real_stack_text_messages_get_a_reply(stack_messenger, text):
    chats = stack_messenger
    psid = str(fresh_id())
    turn = chats.say(psid, text)
    stats.note("paused" if turn.paused else "reply" if turn.replies else "no reply")
    assert turn.replies or turn.paused, f"no reply on the real stack: {turn}"
    if not turn.paused:
        chats.assert_answers_hello(psid)
