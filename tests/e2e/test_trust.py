"""No stranger can read or change a customer's order, from any channel (SECURITY.md).

Every attack is tried against the real running stack — action server, Rasa server with the
web chat, REST and Telegram channels (fake Bot API), the agent console — the way a stranger
would: a socket.io client claiming other customers' ids, the REST channel naming a sender,
typed ``/intent{…}`` controls, phone guessing from many sessions and at once, direct calls to
Rasa's API. Each test asserts that nothing was revealed or changed; the last one scans the
servers' logs for phone numbers.
"""

import json
import random
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest
from sqlalchemy import select

from channels.telegram import SECRET_HEADER
from handoff import queue
from seba import verification
from seba.db import session_scope
from seba.db.models import Order, VerificationAttempt
from tests.channels.helpers import tg_message, tg_update
from tests.e2e.handoff_stack import (
    TELEGRAM_SECRET,
    WebCustomer,
    http,
    logs,
    start_handoff_stack,
    tracker,
    wait_for,
)
from tests.servers import REST_HEADERS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Demo orders (contract): 10456 shipped (tracking PTH123456), 10459 confirmed (cancellable).
STATUS_WORDS = ("PTH123456", "Pathao", "কনফার্ম", "confirmed", "প্যাকিং", "packed")
PHONE_NUMBER = r"(?<!\d)01[3-9]\d{8}(?!\d)"
SLOW = 3  # seconds to wait after a failed order check in one chat (doubling)


@pytest.fixture(scope="module")
def stack(shop_db_module, fake_telegram, tmp_path_factory):
    # A 3-second slow-down keeps the guessing tests short; the limits are shop.yml's.
    with ExitStack() as exits:
        yield start_handoff_stack(
            exits,
            tmp_path_factory.mktemp("trust"),
            shop_db_module,
            fake_telegram,
            {"verification": {"slow_down_seconds": SLOW}},
        )


def telegram_says(stack, chat_id: int, text: str) -> None:
    status, body = http(
        "POST",
        f"{stack.rasa.url}/webhooks/telegram/webhook",
        tg_update(message=tg_message(chat_id, text)),
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, body


def telegram_turn(stack, api, chat_id: int, text: str) -> list:
    before = len(api.texts(chat_id))
    telegram_says(stack, chat_id, text)
    return api.wait_for(lambda a: a.texts(chat_id)[before:] or None, timeout=90)


def web_turn(
    customer: WebCustomer, text: str, quiet: float = 2.0, expect_reply: bool = True
) -> list:
    """Send one message; the texts the bot sent back (none while paused: then pass
    ``expect_reply=False`` so only ``quiet`` seconds are waited)."""
    since = customer.say(text)
    deadline = time.monotonic() + (60 if expect_reply else 0)
    while time.monotonic() < deadline and len(customer.received) == since:
        time.sleep(0.1)
    settled = time.monotonic()
    count = len(customer.received)
    while time.monotonic() - settled < quiet:
        time.sleep(0.1)
        if len(customer.received) != count:
            count, settled = len(customer.received), time.monotonic()
    return customer.texts(since)


def revealed(texts) -> bool:
    joined = " ".join(texts)
    return any(word in joined for word in STATUS_WORDS)


def order_status(db_url: str, number: str) -> str:
    with session_scope(db_url) as session:
        return session.execute(select(Order.status).where(Order.number == number)).scalar_one()


def failures_recorded(db_url: str, number: str) -> int:
    with session_scope(db_url) as session:
        return (
            session.query(VerificationAttempt)
            .filter_by(order_number=number, succeeded=False)
            .count()
        )


# --- one identity per channel and customer ------------------------------------------------------


def test_a_web_visitor_cannot_enter_a_telegram_customers_conversation(
    stack, fake_telegram, shop_db_module
):
    chat_id = random.randint(10**8, 10**9)
    telegram_turn(stack, fake_telegram, chat_id, "আমার অর্ডার ১০৪৫৯ কোথায়?")
    answer = telegram_turn(stack, fake_telegram, chat_id, "০১৬১১০০০০০৪")
    assert revealed(answer), answer  # the customer verified and sees their own order

    for claimed in (str(chat_id), f"tg:{chat_id}"):
        visitor = WebCustomer(stack.rasa.url, session_id=claimed).connect()
        try:
            assert visitor.session_id != claimed
            assert visitor.conversation_id != f"tg:{chat_id}"
            seen = []
            for text in (
                "/order_status",
                "আমার অর্ডারের খবর কী?",
                "order ta kothay?",
                "/cancel_order",
                "/affirm",
                '/inform{"order_number": "10459"}',
            ):
                seen += web_turn(visitor, text)
            assert seen and not revealed(seen), seen
        finally:
            visitor.close()
    assert order_status(shop_db_module, "10459") == "confirmed"
    assert not tracker(stack.rasa, f"tg:{chat_id}")["paused"]


def test_the_rest_channel_needs_its_secret_and_cannot_name_other_channels(stack, fake_telegram):
    chat_id = random.randint(10**8, 10**9)
    telegram_turn(stack, fake_telegram, chat_id, "order 10456 kothay?")
    assert revealed(telegram_turn(stack, fake_telegram, chat_id, "01711000001"))

    body = {"sender": str(chat_id), "message": "order ta kothay?", "input_channel": "telegram"}
    assert http("POST", f"{stack.rasa.url}/webhooks/rest/webhook", body)[0] == 403
    status, replies = http("POST", f"{stack.rasa.url}/webhooks/rest/webhook", body, REST_HEADERS)
    assert status == 200 and not revealed([r.get("text", "") for r in replies]), replies
    mine = tracker(stack.rasa, f"rest:{chat_id}")
    assert mine["latest_input_channel"] == "rest"
    assert (
        len([e for e in tracker(stack.rasa, f"tg:{chat_id}")["events"] if e["event"] == "user"])
        == 2
    )  # the Telegram conversation got nothing


# --- customers cannot type the bot's controls ---------------------------------------------------


def test_typed_controls_do_not_release_a_handed_over_conversation(stack):
    customer = WebCustomer(stack.rasa.url).connect()
    try:
        web_turn(customer, "আমি একজন মানুষের সাথে কথা বলতে চাই")
        conversation = customer.conversation_id
        assert wait_for(lambda: tracker(stack.rasa, conversation)["paused"], 30)
        ticket = queue.open_ticket(conversation, url=stack.db_url)
        for typed in (
            "/restart",
            "/EXTERNAL_handback",
            "/session_start",
            "/back",
            '/rate{"rating": "1"}',
        ):
            # Logged for the agent, not obeyed: the bot stays quiet.
            assert web_turn(customer, typed, quiet=1.5, expect_reply=False) == [], typed
        state = tracker(stack.rasa, conversation)
        assert state["paused"]
        assert queue.open_ticket(conversation, url=stack.db_url).id == ticket.id
        assert not [e for e in state["events"] if e["event"] in ("restart", "resume")]
    finally:
        customer.close()


def test_a_rating_or_a_slot_cannot_be_typed(stack):
    customer = WebCustomer(stack.rasa.url).connect()
    try:
        before = queue_ratings(stack)
        web_turn(customer, '/rate{"rating": "1"}')
        assert queue_ratings(stack) == before
        web_turn(customer, "আমার অর্ডার কোথায়?")  # the bot asks for the order number
        # Slots that only the order check may set, "set" by hand (the numbers in the text are
        # read as what the customer typed, and checked like any other pair).
        answer = web_turn(
            customer,
            '/inform{"verified_order": "10457", "verified_phone": '
            '"01800000000", "verification": "verified"}',
        )
        slots = tracker(stack.rasa, customer.conversation_id)["slots"]
        assert slots.get("verified_order") is None and slots.get("verification") != "verified"
        assert not revealed(answer), answer
    finally:
        customer.close()


def queue_ratings(stack):
    from handoff.db import session_scope as handoff_session
    from handoff.models import BotRating

    with handoff_session(stack.db_url) as session:
        return session.query(BotRating).count()


# --- verification that cannot be sprayed --------------------------------------------------------


def test_guessing_phones_over_many_sessions_locks_the_order(stack, shop_db_module):
    """Fifteen wrong phones for one order over five sessions: five failures are recorded, the
    order locks, and then even the right phone reveals nothing — also after a restart of Rasa —
    until an agent lifts the lock."""
    number, right = "10457", "01811000002"
    replies, tried = [], 0
    for session in range(5):
        customer = WebCustomer(stack.rasa.url).connect()
        try:
            replies += web_turn(customer, f"অর্ডার {number} এর কী অবস্থা?")
            for guess in range(3):
                tried += 1
                answer = web_turn(customer, f"{number} 0181100{session}{guess}99")
                replies += answer
                if any("নিরাপত্তার কারণে" in t or "যাচাই করতে পারলাম না" in t for t in answer):
                    break  # handed to a person: this chat is over for the bot
                time.sleep(SLOW * 2**guess + 0.3)  # past the slow-down
        finally:
            customer.close()
    assert tried >= 7  # every session tried; the last ones hit the lock at once
    assert failures_recorded(shop_db_module, number) == 5
    assert any("নিরাপত্তার কারণে" in t for t in replies), replies  # told politely, in Bangla
    assert not revealed(replies)

    def right_phone_from_a_new_session():
        customer = WebCustomer(stack.rasa.url).connect()
        try:
            first = web_turn(customer, f"অর্ডার {number} এর কী অবস্থা?")
            return customer.conversation_id, first + web_turn(customer, right)
        finally:
            customer.close()

    conversation, answer = right_phone_from_a_new_session()
    assert not revealed(answer) and any("নিরাপত্তার কারণে" in t for t in answer), answer
    ticket = queue.open_ticket(conversation, url=stack.db_url)
    assert ticket is not None and ticket.reason == "verification_locked"

    rasa = next(s for s in stack.rasa.servers if s.name == "rasa server")
    rasa.restart()
    _, answer = right_phone_from_a_new_session()
    assert not revealed(answer), answer

    assert verification.lift(number, "রিনা", url=shop_db_module)
    _, answer = right_phone_from_a_new_session()
    assert any("ডেলিভারি হয়েছে" in t for t in answer), answer  # the owner sees it again


def test_one_conversation_is_slowed_down(stack):
    customer = WebCustomer(stack.rasa.url).connect()
    try:
        web_turn(customer, "order 10460 er refund kobe pabo?")
        # Two tries in a row, the second sent at once (Rasa handles them in order): the
        # second comes well inside the slow-down and is not even checked.
        since = customer.say("10460 01511000999")
        customer.say("10460 01511000998")
        hurried = customer.wait_for_text(lambda t: "সেকেন্ড" in t, since)
        assert "সেকেন্ড" in hurried["text"]
    finally:
        customer.close()


def test_racing_attempts_on_one_order_are_counted_one_by_one(stack, shop_db_module):
    number = "10458"
    results = []

    def attempt(n: int) -> None:
        results.append(
            stack.rasa.say(
                f"racer-{n}-{random.randint(0, 10**9)}",
                f"order {number} phone 019110009{n:02d} kothay?",
            )
        )

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 12
    assert failures_recorded(shop_db_module, number) == 5
    assert any(
        lock.order_number == number for lock in verification.active_locks(url=shop_db_module)
    )


# --- only what must be public is public ---------------------------------------------------------


def test_rasas_api_needs_a_bearer_token(stack):
    path = "/conversations/tg:1/tracker"
    assert http("GET", stack.rasa.api(path))[0] == 401
    assert http("GET", stack.rasa.api(path + "?token=test-token"))[0] == 401
    assert http("GET", stack.rasa.api(path), headers={"Authorization": "Bearer forged"})[0] == 401
    assert http("GET", stack.rasa.api(path), headers=stack.rasa.auth)[0] == 200


def test_cors_is_limited_to_the_shops_origins(stack):
    def preflight(origin: str):
        request = urllib.request.Request(
            f"{stack.rasa.url}/webhooks/rest/webhook",
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.headers.get("Access-Control-Allow-Origin")
        except urllib.error.HTTPError as error:
            return error.headers.get("Access-Control-Allow-Origin")

    assert preflight("https://evil.example") in (None, "")
    assert preflight("https://sebafashion.com.bd") == "https://sebafashion.com.bd"


# --- nothing personal in logs (run last) --------------------------------------------------------


def test_the_logs_hold_no_phone_number(stack):
    import re

    for server in list(stack.rasa.servers) + [stack.console.server]:
        text = server.log.read_text(encoding="utf-8", errors="replace")
        found = re.findall(PHONE_NUMBER, text)
        assert not found, f"{server.name} logged phones {found[:3]}\n{logs(stack)}"
        assert "আমার অর্ডারের খবর কী?" not in text, f"{server.name} logged a message text"
        assert json.dumps("আমার অর্ডারের খবর কী?")[1:-1] not in text
