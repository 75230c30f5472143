"""Fuzzing the Telegram webhook (with the valid secret header).

Connector level: ``channels.telegram.TelegramInput`` on a real Sanic server, a stub Rasa that
answers every message, the fake Bot API. Stack level: the real Rasa and action servers.

For every generated update: no 5xx (malformed ones get 400); the webhook stays up; what
``telegram_updates`` promises for the update happens at the fake Bot API (a reply to a text
message, the polite "please write" to a sticker, an answered button press, silence in
groups); and afterwards a plain "হ্যালো" in the same chat is answered.
"""

import itertools

import pytest
from hypothesis import given, settings

from channels import TEXT_ONLY_REPLY
from channels.telegram import SECRET_HEADER, TelegramConfig, TelegramInput
from tests.channels.fakes import FakeTelegram
from tests.fuzz import stats
from tests.fuzz.harness import ConnectorServer
from tests.fuzz.profiles import connector_examples, stack_examples
from tests.fuzz.stack_turns import fresh_id
from tests.fuzz.strategies import (
    HELLOS,
    encode_json,
    json_object,
    raw_bodies,
    visible_customer_texts,
)
from tests.fuzz.telegram_updates import (
    ANSWERED,
    ANY,
    FORGED,
    REPLY,
    SILENT,
    TEXT_ONLY,
    TelegramCase,
    any_cases,
    text_cases,
)

SECRET = "fuzz_webhook-secret"
HEADERS = {SECRET_HEADER: SECRET}
CANARY_CHAT = 777_000_001  # a private chat that must keep getting answers
_update_ids = itertools.count(5_000_000_000)
_message_ids = itertools.count(9_000_000_000)


@pytest.fixture(scope="module")
def telegram(shop_db_module):
    server = ConnectorServer(
        lambda api: TelegramInput(
            TelegramConfig(token=api.token, webhook_secret=SECRET, api_base_url=api.url)
        ),
        FakeTelegram(),
    )
    yield server
    server.close()


def hello_update(chat_id: int, text: str = HELLOS[0]) -> dict:
    return {
        "message": {
            "message_id": next(_message_ids),
            "date": 1,
            "text": text,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": {"id": abs(chat_id), "is_bot": False, "first_name": "F"},
        }
    }


def send(server: ConnectorServer, update: dict):
    """POST one update (a fresh update_id unless it carries one); the new Bot API calls."""
    update = dict(update)
    update.setdefault("update_id", next(_update_ids))
    before = len(server.fakes[0].calls)
    status, body = server.post("/webhook", encode_json(update), HEADERS)
    assert status < 500, (status, body)
    server.settle()
    return status, server.fakes[0].calls[before:]


def sends_to(calls, chat_id) -> list:
    return [
        c
        for c in calls
        if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat_id)
    ]


def check_step(server: ConnectorServer, case: TelegramCase, step) -> str:
    seen_by_rasa = len(server.collector.messages)
    status, calls = send(server, step.update)
    replies = sends_to(calls, case.chat_id)
    reached_rasa = server.collector.messages[seen_by_rasa:]
    if step.expect != ANY:
        assert status == 200, status
    if step.expect == REPLY:
        assert replies, f"no reply to a text message; Bot API calls: {calls}"
    elif step.expect == TEXT_ONLY:
        assert [c.params.get("text") for c in replies] == [TEXT_ONLY_REPLY], calls
    elif step.expect in (ANSWERED, FORGED):
        assert any(c.method == "answerCallbackQuery" for c in calls), calls
        data = step.update["callback_query"]["data"]
        if step.expect == FORGED:
            assert not reached_rasa, "a press with data not on the message reached Rasa"
        elif data and not data.startswith("seba:"):
            assert [m.text for m in reached_rasa] == [data] and replies, calls
    elif step.expect == SILENT:
        assert not replies, f"sent to a chat that must get nothing: {replies}"
        if not case.private:
            assert not reached_rasa, "a group chat's message reached Rasa"
    return f"{status} {step.expect}"


def check_chat_goes_on(server: ConnectorServer, case: TelegramCase) -> None:
    assert server.healthy(), "the webhook's health check failed"
    chats = [case.chat_id] if case.private else [case.chat_id, CANARY_CHAT]
    for chat_id in chats:
        _, calls = send(server, hello_update(chat_id))
        if chat_id > 0:
            assert sends_to(calls, chat_id), f"the chat is stuck: no answer to হ্যালো: {calls}"
        else:
            assert not sends_to(calls, chat_id), "answered in a group chat"


def run_case(server: ConnectorServer, case: TelegramCase) -> None:
    server.forget()
    for step in case.steps:
        stats.note(check_step(server, case, step))
    check_chat_goes_on(server, case)


@settings(max_examples=connector_examples(0.4))
@given(case=text_cases())
@stats.checked
def test_text_messages_get_a_reply(telegram, case):
    run_case(telegram, case)


@settings(max_examples=connector_examples(0.45))
@given(case=any_cases)
@stats.checked
def test_any_update_gets_no_5xx_and_the_chat_goes_on(telegram, case):
    run_case(telegram, case)


@settings(max_examples=connector_examples(0.15))
@given(body=raw_bodies)
@stats.checked
def test_bodies_that_are_not_an_update_get_400(telegram, body):
    telegram.forget()
    status, answer = telegram.post("/webhook", body, HEADERS)
    stats.note(str(status))
    update = json_object(body)
    is_update = update is not None and isinstance(update.get("update_id"), int)
    assert status < 500 and (is_update or status == 400), (status, answer)
    assert telegram.healthy()
    _, calls = send(telegram, hello_update(CANARY_CHAT))
    assert sends_to(calls, CANARY_CHAT), "no answer to হ্যালো after a malformed body"


# --- the real stack -------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=stack_examples())
@given(text=visible_customer_texts)
@stats.checked
def test_on_the_real_stack_text_messages_get_a_reply(stack_telegram, text):
    chats = stack_telegram
    chat_id = fresh_id()
    turn = chats.say(chat_id, text)
    stats.note("paused" if turn.paused else "reply" if turn.replies else "no reply")
    assert turn.replies or turn.paused, f"no reply on the real stack: {turn}"
    if not turn.paused:
        chats.assert_answers_hello(chat_id)
