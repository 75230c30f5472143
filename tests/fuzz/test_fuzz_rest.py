"""Fuzzing the REST channel with its secret (``Authorization: Bearer <SEBA_REST_SECRET>``).

Connector level: ``channels.rest.RestInput`` on a real Sanic server, a stub Rasa that echoes
every message. Stack level: the real Rasa and action servers.

For every generated request: never a 5xx; the status docs/channels.md promises (200 with a
list of messages for a valid sender and a text message, 400 for anything else); a text
message (a visible character) gets a non-empty list; the message reaches Rasa as
``rest:<sender>`` whatever the body says about other channels; the channel stays up; and
afterwards the same sender's "হ্যালো" is answered.
"""

import pytest
from hypothesis import given, settings

from channels.rest import RestInput
from tests.fuzz import stats
from tests.fuzz.harness import ConnectorServer
from tests.fuzz.profiles import connector_examples, stack_examples
from tests.fuzz.rest_bodies import RestRequest, requests, valid_senders
from tests.fuzz.stack_turns import fresh_id
from tests.fuzz.strategies import HELLOS, encode_json, visible_customer_texts

SECRET = "fuzz-rest-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(scope="module")
def rest():
    server = ConnectorServer(lambda: RestInput(SECRET))
    yield server
    server.close()


def say_hello(server: ConnectorServer, sender: str) -> list:
    status, body = server.post(
        "/webhook", encode_json({"sender": sender, "message": HELLOS[0]}), AUTH
    )
    assert status == 200, (status, body)
    return body


@settings(max_examples=connector_examples(1.0))
@given(request=requests)
@stats.checked
def test_any_request_gets_its_documented_answer(rest, request: RestRequest):
    rest.forget()
    status, body = rest.post("/webhook", request.body, AUTH)
    stats.note(f"{status} {'text' if request.must_reply else 'other'}")
    assert status < 500, (status, body)
    assert status == request.expected_status, (status, body)
    if request.valid:
        sender = request.document["sender"]
        assert isinstance(body, list), body
        if request.must_reply:
            assert body, "a text message got an empty list of replies"
        assert [m.sender_id for m in rest.collector.messages] == [f"rest:{sender}"]
        assert [m.input_channel for m in rest.collector.messages] == ["rest"]
    else:
        assert not rest.collector.messages, "a refused request reached Rasa"
        sender = "fuzz-canary"
    assert rest.healthy(), "the channel's health check failed"
    assert say_hello(rest, sender), f"no answer to হ্যালো for {sender!r}: stuck"


def test_a_sender_ending_in_a_newline_is_refused(rest):
    """Found by the fuzzing: ``$`` also matched before a final newline."""
    status, body = rest.post("/webhook", encode_json({"sender": "+\n", "message": "hi"}), AUTH)
    assert status == 400, (status, body)


# --- the real stack -------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=stack_examples())
@given(text=visible_customer_texts, name=valid_senders)
@stats.checked
def test_on_the_real_stack_text_messages_get_a_reply(stack_rest, text, name):
    customers = stack_rest
    sender = f"{fresh_id()}-{name}"[:128]  # a new conversation every example
    turn = customers.say(sender, text)
    stats.note("paused" if turn.paused else "reply" if turn.replies else "no reply")
    assert turn.replies or turn.paused, f"no reply on the real stack: {turn}"
    if not turn.paused:
        customers.assert_answers_hello(sender)
