"""Order updates reaching customers through the real Rasa and action servers.

A courier update is written as couriers/ writes it (tests/notices/helpers.py); the
deliverer inside Rasa sends it. Telegram and Messenger end at fake APIs, the web chat is a
real socket.io client.
"""

import json
import random
import uuid

import pytest
from sqlalchemy import select

from channels.telegram import SECRET_HEADER
from tests.channels.helpers import (
    fb_body,
    fb_event,
    fb_payload,
    fb_sign,
    tg_callback,
    tg_message,
    tg_update,
)
from tests.notices.conftest import FACEBOOK, TELEGRAM_SECRET, wait_for
from tests.notices.helpers import courier_update, notice, notices, proved
from tests.servers import REST_HEADERS, http

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

OUT_FOR_DELIVERY_BN = "আজ ডেলিভারি হবে, ফোন খোলা রাখুন"


def tg_post(stack, update) -> None:
    status, body = http(
        "POST",
        f"{stack.url}/webhooks/telegram/webhook",
        json.dumps(update, ensure_ascii=False).encode(),
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, body


def customer_turn(stack, conversation: str, turn: int):
    """The tracker once Rasa has answered the customer's ``turn``-th own message (the
    pushed updates are user events too, but not the customer's)."""

    def answered():
        url = stack.api(f"/conversations/{conversation}/tracker")
        status, tracker = http("GET", url, headers=stack.auth)
        if status != 200 or not isinstance(tracker, dict):
            return None
        own = [
            e
            for e in tracker["events"]
            if e["event"] == "user" and not (e.get("metadata") or {}).get("is_external")
        ]
        done = len(own) >= turn and tracker.get("latest_action_name") == "action_listen"
        return tracker if done else None

    return wait_for(answered, f"turn {turn} of {conversation}", 120)


def tg_says(stack, chat: int, text: str, turn: int):
    tg_post(stack, tg_update(message=tg_message(chat, text)))
    return customer_turn(stack, f"tg:{chat}", turn)


def fb_says(stack, psid: str, text: str, turn: int):
    body = fb_body(fb_payload(fb_event(psid, message={"mid": uuid.uuid4().hex, "text": text})))
    status, answer = http(
        "POST", f"{stack.url}/webhooks/facebook/webhook", body, fb_sign(FACEBOOK["secret"], body)
    )
    assert status == 200, answer
    return customer_turn(stack, f"fb:{psid}", turn)


def settled(stack, notice_id: int, *states: str):
    """The notice once it is in one of ``states``."""
    return wait_for(
        lambda: (row := notice(stack.db, notice_id)).state in states and row,
        f"notice {notice_id} to become {states}",
    )


def update_events(stack, conversation: str):
    url = stack.api(f"/conversations/{conversation}/tracker")
    _, tracker = http("GET", url, headers=stack.auth)
    return [
        e
        for e in tracker["events"]
        if e["event"] == "user"
        and (e.get("parse_data") or {}).get("intent", {}).get("name", "").startswith("EXTERNAL_")
    ]


def new_chat() -> int:
    return random.randint(10**8, 10**9)


# --- Telegram: proved by a real order check; a stranger never hears it -----------------


def test_an_update_reaches_the_telegram_chat_that_proved_the_order(notices_stack, fake_telegram):
    owner, stranger = new_chat(), new_chat()
    tg_says(notices_stack, owner, "আমার অর্ডারটা কোথায় আছে?", 1)
    tg_says(notices_stack, owner, "১০৪৫৬", 2)
    tg_says(notices_stack, owner, "০১৭১১০০০০০১", 3)
    assert any("PTH123456" in t for t in fake_telegram.texts(owner))  # verified
    # A stranger asks about the same order and fails the check.
    tg_says(notices_stack, stranger, "order 10456 kothay?", 1)
    tg_says(notices_stack, stranger, "01999999999", 2)
    stranger_before = len(fake_telegram.texts(stranger))
    before = len(fake_telegram.texts(owner))

    notice_id = courier_update(notices_stack.db, "10456", "out_for_delivery")
    row = settled(notices_stack, notice_id, "sent", "skipped", "failed")
    assert (row.state, row.conversation_id) == ("sent", f"tg:{owner}"), row.reason
    new = fake_telegram.texts(owner)[before:]
    assert any(OUT_FOR_DELIVERY_BN in t for t in new), new
    assert len(fake_telegram.texts(stranger)) == stranger_before  # never sent there
    # In the transcript (agents see it), once.
    assert len(update_events(notices_stack, f"tg:{owner}")) == 1

    # A worker that died after sending, before writing "sent": the next one finds it in the
    # transcript and does not send it again.
    from seba.db import session_scope
    from seba.db.models import OrderNotice

    with session_scope(notices_stack.db) as session:
        session.get(OrderNotice, notice_id).state = "pending"
    again = settled(notices_stack, notice_id, "sent")
    assert again.reason == "found_in_transcript"
    assert len(fake_telegram.texts(owner)[before:]) == len(new)
    assert len(update_events(notices_stack, f"tg:{owner}")) == 1


def test_the_http_api_cannot_make_a_stranger_hear_an_order(notices_stack, fake_telegram):
    owner, stranger = new_chat(), new_chat()
    proved(notices_stack.db, "10234", f"tg:{owner}")
    notice_id = courier_update(notices_stack.db, "10234", "picked_up")
    settled(notices_stack, notice_id, "sent")
    status, body = http(  # the same notice, triggered for another conversation
        "POST",
        notices_stack.api(f"/conversations/tg:{stranger}/trigger_intent?output_channel=telegram"),
        {
            "name": "EXTERNAL_order_update",
            "entities": {"notice_id": str(notice_id), "notice_order": "10234"},
        },
        notices_stack.auth,
    )
    assert status == 200, body
    assert fake_telegram.texts(stranger) == []  # action_order_update said nothing


def test_a_customer_cannot_type_an_order_update(notices_stack):
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    proved(notices_stack.db, "10239", f"rest:{sender}")
    notice_id = courier_update(notices_stack.db, "10239", "out_for_delivery")
    assert settled(notices_stack, notice_id, "skipped").reason == "channel_cannot_push"
    typed = '/EXTERNAL_order_update{"notice_id": "%d", "notice_order": "10239"}' % notice_id
    status, replies = http(
        "POST",
        f"{notices_stack.url}/webhooks/rest/webhook",
        {"sender": sender, "message": typed},
        REST_HEADERS,
    )
    assert status == 200, replies
    texts = " ".join(r.get("text", "") for r in replies)
    assert "ডেলিভারি হবে" not in texts and "delivered today" not in texts, texts
    assert update_events(notices_stack, f"rest:{sender}") == []


# --- STOP / START --------------------------------------------------------------------


def test_stop_is_honoured_and_start_undoes_it(notices_stack, fake_telegram):
    chat = new_chat()
    proved(notices_stack.db, "10250", f"tg:{chat}")
    tg_says(notices_stack, chat, "r message diben na", 1)
    assert "START" in fake_telegram.texts(chat)[-1]  # confirmed, with how to start again
    stopped = courier_update(notices_stack.db, "10250", "picked_up")
    assert settled(notices_stack, stopped, "skipped").reason == "stopped"
    before = len(fake_telegram.texts(chat))
    assert not any("10250" in t for t in fake_telegram.texts(chat))

    tg_says(notices_stack, chat, "আবার চালু করুন", 2)
    assert "STOP" in fake_telegram.texts(chat)[-1]
    resumed = courier_update(notices_stack.db, "10250", "out_for_delivery")
    assert settled(notices_stack, resumed, "sent").conversation_id == f"tg:{chat}"
    assert any(OUT_FOR_DELIVERY_BN in t for t in fake_telegram.texts(chat)[before:])


# --- delivered -> the check with the rating; a failed attempt -> a note -----------------


def test_delivered_then_the_check_with_rating_buttons(notices_stack, fake_telegram):
    from handoff.models import BotRating
    from seba.db import session_scope
    from seba.db.models import OrderNotice

    chat = new_chat()
    proved(notices_stack.db, "10340", f"tg:{chat}")
    delivered = courier_update(notices_stack.db, "10340", "delivered", message="পার্সেল পৌঁছেছে")
    settled(notices_stack, delivered, "sent")
    texts = fake_telegram.texts(chat)
    assert any("ডেলিভারি হয়েছে" in t for t in texts), texts
    assert any("পার্সেল পৌঁছেছে" in t for t in texts), texts  # the courier's note, as detail
    check = [n for n in notices(notices_stack.db, "10340") if n.kind == "delivered_check"][0]
    assert check.state == "pending" and check.due_at > check.created_at  # hours later
    with session_scope(notices_stack.db) as session:  # ... and now those hours have passed
        session.get(OrderNotice, check.id).due_at = check.created_at
    settled(notices_stack, check.id, "sent")
    asked = fake_telegram.sent(chat)[-1]
    assert "পেয়েছেন তো? সব ঠিক আছে?" in fake_telegram.texts(chat)[-2] + asked["text"]
    buttons = [b for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert len(buttons) == 5 and "ফেরত দিতে চাই" in " ".join(fake_telegram.texts(chat)[-2:])

    five = next(b for b in buttons if b["text"].startswith("৫"))
    tg_post(notices_stack, tg_callback(chat, five["callback_data"]))
    customer_turn(notices_stack, f"tg:{chat}", 1)
    assert "রেটিং দেওয়ার জন্য অনেক ধন্যবাদ" in fake_telegram.texts(chat)[-1]
    with session_scope(notices_stack.db) as session:
        ratings = session.execute(
            select(BotRating.rating).where(BotRating.conversation_id == f"tg:{chat}")
        ).scalars()
        assert list(ratings) == [5]


def test_a_failed_attempt_answer_becomes_a_note_for_the_shop(notices_stack, fake_telegram):
    from handoff.db import session_scope as handoff_session
    from handoff.models import CustomerNote

    chat = new_chat()
    proved(notices_stack.db, "10394", f"tg:{chat}")
    failed = courier_update(notices_stack.db, "10394", "failed_attempt")
    settled(notices_stack, failed, "sent")
    assert "কখন পণ্যটি নিতে পারবেন" in fake_telegram.texts(chat)[-1]
    tg_says(notices_stack, chat, "kal bikel 5 tar por basay thakbo", 1)
    assert "কুরিয়ারকে জানিয়ে দেব" in fake_telegram.texts(chat)[-1]
    with handoff_session(notices_stack.db) as session:
        notes = session.execute(
            select(CustomerNote).where(CustomerNote.conversation_id == f"tg:{chat}")
        ).scalars()
        found = [(n.kind, n.order_number, n.body, n.author) for n in notes]
    assert found == [("delivery_time", "10394", "kal bikel 5 tar por basay thakbo", "Seba")]


# --- Messenger's window; the web bubble connected or not -----------------------------


def test_messenger_inside_the_window_pushed_outside_kept_waiting(notices_stack, fake_graph):
    psid = f"PSID{random.randint(10**8, 10**9)}"
    proved(notices_stack.db, "10256", f"fb:{psid}")  # proved earlier; no message since
    waiting = courier_update(notices_stack.db, "10256", "picked_up")
    row = settled(notices_stack, waiting, "waiting")
    assert row.reason == "outside_window"
    assert fake_graph.texts(psid) == []

    fb_says(notices_stack, psid, "hello", 1)  # the customer writes: the window opens
    settled(notices_stack, waiting, "sent")
    assert any("Steadfast" in t for t in fake_graph.texts(psid)), fake_graph.texts(psid)
    sent = [c.params for c in fake_graph.calls if "message" in c.params][-1]
    assert sent["messaging_type"] == "RESPONSE" and "tag" not in sent  # inside: no tag


def test_web_visitor_connected_gets_it_pushed_and_later_on_the_next_visit(notices_stack):
    from tests.e2e.handoff_stack import WebCustomer

    visitor = WebCustomer(notices_stack.url, transports=["websocket"]).connect()
    token, conversation = visitor.session_id, visitor.conversation_id
    try:
        proved(notices_stack.db, "10291", conversation)
        first = courier_update(notices_stack.db, "10291", "out_for_delivery")
        settled(notices_stack, first, "sent")
        visitor.wait_for_text(lambda t: OUT_FOR_DELIVERY_BN in t)
    finally:
        visitor.close()

    later = courier_update(notices_stack.db, "10291", "delivered")
    assert settled(notices_stack, later, "waiting").reason == "not_connected"
    back = WebCustomer(notices_stack.url, session_id=token, transports=["websocket"]).connect()
    try:
        assert back.conversation_id == conversation
        back.wait_for_text(lambda t: "ডেলিভারি হয়েছে" in t)
        assert settled(notices_stack, later, "sent").conversation_id == conversation
    finally:
        back.close()
