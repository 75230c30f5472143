"""Whole conversations over Telegram and Messenger with the real Rasa and action servers.

Rasa runs with tests/channels/credentials.test.yml (the blocks proposed for
credentials.yml); the environment points the connectors at the fake Bot API and Graph
API, which record what the customer would see.
"""

import json
import random
import uuid

import pytest

from channels.telegram import SECRET_HEADER
from tests.channels.conftest import FACEBOOK, TELEGRAM_SECRET, http, logs, wait_for_turn
from tests.channels.helpers import fb_body, fb_event, fb_payload, fb_sign, tg_message, tg_update

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def telegram_says(stack, chat_id: int, text: str, turn: int) -> None:
    status, body = http(
        "POST",
        f"{stack.url}/webhooks/telegram/webhook",
        json.dumps(tg_update(message=tg_message(chat_id, text)), ensure_ascii=False).encode(),
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, body
    wait_for_turn(stack, f"tg:{chat_id}", turn)


def messenger_says(stack, psid: str, text: str, turn: int) -> None:
    body = fb_body(fb_payload(fb_event(psid, message={"mid": uuid.uuid4().hex, "text": text})))
    status, answer = http(
        "POST", f"{stack.url}/webhooks/facebook/webhook", body, fb_sign(FACEBOOK["secret"], body)
    )
    assert status == 200, answer
    wait_for_turn(stack, f"fb:{psid}", turn)


def push_agent_message(stack, sender_id: str, text: str):
    event = {"event": "bot", "text": text, "metadata": {"agent": "rina"}}
    return http(
        "POST",
        stack.api(
            f"/conversations/{sender_id}/tracker/events"
            "?execute_side_effects=true&output_channel=latest"
        ),
        event,
        stack.auth,
    )


def test_bangla_order_status_over_telegram_and_an_agent_push(channel_stack, fake_telegram):
    chat_id = random.randint(10**8, 10**9)
    telegram_says(channel_stack, chat_id, "আমার অর্ডারটা কোথায় আছে?", 1)
    asked = fake_telegram.texts(chat_id)
    assert asked and any("অর্ডার" in t for t in asked), asked  # asked in Bangla

    telegram_says(channel_stack, chat_id, "১০৪৫৬", 2)
    telegram_says(channel_stack, chat_id, "০১৭১১০০০০০১", 3)
    replies = fake_telegram.texts(chat_id)
    assert any("PTH123456" in t for t in replies), f"{replies}\n{logs(channel_stack)}"
    assert fake_telegram.sent(chat_id, "sendChatAction")  # "typing…" was shown
    tracker = wait_for_turn(channel_stack, f"tg:{chat_id}", 3)
    assert tracker["latest_input_channel"] == "telegram"
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["metadata"]["telegram"]["language_code"] == "bn"

    # An agent's reply appended through the HTTP API reaches the customer's chat.
    before = len(fake_telegram.texts(chat_id))
    agent_text = "আমি রিনা, সাপোর্ট টিম থেকে। আপনার পার্সেল আজই পৌঁছাবে। — Rina"
    status, body = push_agent_message(channel_stack, f"tg:{chat_id}", agent_text)
    assert status == 200, body
    assert fake_telegram.texts(chat_id)[before:] == [agent_text]
    assert not fake_telegram.of("setWebhook")  # nothing re-set the webhook


def test_failed_telegram_push_is_reported_and_not_recorded(channel_stack, fake_telegram):
    chat_id = random.randint(10**8, 10**9)
    telegram_says(channel_stack, chat_id, "hello", 1)
    fake_telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    status, body = push_agent_message(channel_stack, f"tg:{chat_id}", "Are you still there?")
    assert status == 500, body  # the agent console learns it was not delivered
    tracker = channel_stack.tracker(f"tg:{chat_id}")
    assert "Are you still there?" not in [e.get("text") for e in tracker["events"]]


def test_english_order_status_over_messenger_and_an_agent_push(channel_stack, fake_graph):
    psid = f"PSID{random.randint(10**8, 10**9)}"
    messenger_says(channel_stack, psid, "Where is my order?", 1)
    messenger_says(channel_stack, psid, "10456", 2)
    messenger_says(channel_stack, psid, "+8801711000001", 3)
    replies = fake_graph.texts(psid)
    assert any("PTH123456" in t for t in replies), f"{replies}\n{logs(channel_stack)}"
    assert not any("\u0980" <= ch <= "\u09ff" for t in replies for ch in t), replies
    assert "typing_on" in fake_graph.actions(psid)

    before = len(fake_graph.texts(psid))
    status, body = push_agent_message(channel_stack, f"fb:{psid}", "Hi, this is Rina from support.")
    assert status == 200, body
    assert fake_graph.texts(psid)[before:] == ["Hi, this is Rina from support."]


def test_real_server_refuses_unauthenticated_webhooks(channel_stack):
    update = json.dumps(tg_update(message=tg_message(1, "hi"))).encode()
    assert http("POST", f"{channel_stack.url}/webhooks/telegram/webhook", update)[0] == 403
    body = fb_body(fb_payload(fb_event("P", message={"mid": "m", "text": "hi"})))
    assert http("POST", f"{channel_stack.url}/webhooks/facebook/webhook", body)[0] == 403
    status, challenge = http(
        "GET",
        f"{channel_stack.url}/webhooks/facebook/webhook?hub.mode=subscribe"
        f"&hub.verify_token={FACEBOOK['verify']}&hub.challenge=42",
    )
    assert (status, str(challenge)) == (200, "42")


# --- the same conversation, the same answers, on every channel --------------------------

CONVERSATION = ["হ্যালো", "আমার অর্ডারটা কোথায় আছে?", "১০৪৫৬", "০১৭১১০০০০০১", "thanks"]


def rest_turns(stack, sender):
    turns = []
    for text in CONVERSATION:
        replies = stack.say(sender, text)
        turns.append([(r["text"], len(r.get("buttons") or [])) for r in replies if r.get("text")])
    return turns


def telegram_turns(stack, api, chat_id):
    turns = []
    for number, text in enumerate(CONVERSATION, 1):
        before = len(api.sent(chat_id))
        telegram_says(stack, chat_id, text, number)
        turns.append(
            [
                (
                    m["text"],
                    sum(
                        len(row) for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                    ),
                )
                for m in api.sent(chat_id)[before:]
            ]
        )
    return turns


def messenger_turns(stack, api, psid):
    turns = []
    for number, text in enumerate(CONVERSATION, 1):
        before = len(api.messages(psid))
        messenger_says(stack, psid, text, number)
        bubbles = []
        for message in api.messages(psid)[before:]:
            if "text" in message:
                bubbles.append((message["text"], len(message.get("quick_replies") or [])))
            else:
                template = message["attachment"]["payload"]
                bubbles.append((template["text"], len(template["buttons"])))
        turns.append(bubbles)
    return turns


def test_the_same_conversation_gets_the_same_answers_on_every_channel(
    channel_stack, fake_telegram, fake_graph
):
    """REST (the reference), Telegram and Messenger: same bubbles, same number of buttons."""
    rest = rest_turns(channel_stack, f"rest-{uuid.uuid4().hex[:8]}")
    telegram = telegram_turns(channel_stack, fake_telegram, random.randint(10**8, 10**9))
    messenger = messenger_turns(channel_stack, fake_graph, f"PSID{random.randint(10**8, 10**9)}")
    assert all(rest), rest  # the bot answered every turn
    assert telegram == rest
    assert messenger == rest


def test_tokens_never_reach_the_logs(channel_stack, fake_telegram):
    """httpx logs request URLs, and Bot API URLs contain the token (run after the others)."""
    for server in channel_stack.servers:
        text = server.log.read_text(encoding="utf-8", errors="replace")
        assert fake_telegram.token not in text, server.name
        assert FACEBOOK["token"] not in text and FACEBOOK["secret"] not in text, server.name
