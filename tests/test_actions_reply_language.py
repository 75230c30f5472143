"""Every action answers in the conversation's language, not the page's (issue 12).

Each conversation starts with one decisive message and goes on with messages that decide
nothing (numbers, buttons, "ok"), all sent from a page in the other language: the values
the actions format (dates, money, digits, the hand-over ticket's language) follow the
customer's words. The wording itself is chosen by SebaNLG from the same rule (last test).
"""

import asyncio
import datetime as dt
from typing import Any, Dict, List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker

from actions.handoff import ActionHandoff
from actions.orders import ActionCancelOrder, ActionOrderStatus, ActionRefundStatus
from actions.returns import ActionCreateReturn, ActionReturnCheck
from actions.verification import ValidateOrderVerifyForm
from seba import PROJECT_ROOT
from seba.nlg import SebaNLG
from tests.test_actions import DEMO, run, slot_events
from tests.test_actions_handoff import clock, handoff_db, online, rina, tickets  # noqa: F401

BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
# (first message, page language, expected reply language)
CONVERSATIONS = [
    pytest.param("I want to check my order", "bn", "en", id="english-on-a-bangla-page"),
    pytest.param("আমার অর্ডারটা দেখতে চাই", "en", "bn", id="bangla-on-an-english-page"),
    pytest.param("amar order ta dekhte chai", "en", "bn", id="banglish-on-an-english-page"),
]
NEUTRAL = ["10456", "01711000001", "/affirm", "ok", "👍"]


def user(text: str, page: str, intent: str = "inform") -> dict:
    return {
        "event": "user",
        "text": text,
        "input_channel": "socketio",
        "metadata": {"language": page},
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": 1.0}},
    }


def conversation(first: str, page: str, slots: Dict[str, Any], last: str = "ok") -> Tracker:
    events: List[dict] = []
    for text in [first, *NEUTRAL, last]:
        events += [{"event": "action", "name": "action_listen"}, user(text, page)]
        events.append({"event": "bot", "text": "…"})
    events.pop()
    return Tracker(
        "web:customer", slots, events[-1]["parse_data"], events, False, None, {}, "action_listen"
    )


def verified(number: str, **slots: Any) -> Dict[str, Any]:
    import time

    return {"verified_order": number, "verified_phone": DEMO[number], "verified_at": time.time()}


def in_language(value: str, lang: str) -> bool:
    """Digits of the reply language, and none of the other."""
    bengali = any(c in BENGALI_DIGITS for c in value)
    ascii_digits = any(c.isascii() and c.isdigit() for c in value)
    return (ascii_digits and not bengali) if lang == "en" else (bengali and not ascii_digits)


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_order_status(shop_db, demo_today, first, page, lang):
    messages, _ = run(ActionOrderStatus(), conversation(first, page, verified("10456")))
    assert messages[0]["response"] == "utter_order_status_shipped"
    date = messages[0]["expected_date"]
    assert in_language(date, lang), date
    month = (demo_today + dt.timedelta(days=2)).strftime("%B")
    assert (month in date) == (lang == "en"), date


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_cancellation(shop_db, first, page, lang):
    tracker = conversation(first, page, {**verified("10459"), "cancel_confirmed": True}, "/affirm")
    messages, _ = run(ActionCancelOrder(), tracker)
    assert messages[0]["response"] == "utter_order_cancelled_refund"
    amount = messages[0]["amount"]
    assert in_language(amount, lang) and (amount.startswith("BDT") == (lang == "en")), amount


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_refund(shop_db, first, page, lang):
    messages, _ = run(ActionRefundStatus(), conversation(first, page, verified("10460")))
    assert messages[0]["amount"] == ("BDT 1,250" if lang == "en" else "১,২৫০ টাকা")
    assert messages[0]["refund_status"] == ("pending" if lang == "en" else "প্রক্রিয়াধীন")


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_return(shop_db, first, page, lang):
    messages, events = run(ActionReturnCheck(), conversation(first, page, verified("10457")))
    assert messages[0]["response"] == "utter_return_eligible"
    assert in_language(messages[0]["days_left"], lang)
    slots = {**verified("10457"), "return_reason": "damaged", "return_eligible": True}
    messages, _ = run(ActionCreateReturn(), conversation(first, page, slots, "/affirm"))
    assert in_language(messages[0]["pickup_days"], lang), messages


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_verification_retry_wait(shop_db, first, page, lang):
    """A mismatch, then at once another attempt: "wait N seconds" in the customer's digits."""
    seconds = None
    for phone in ("01700000001", "01700000002"):
        tracker = conversation(first, page, {"requested_slot": "phone"}, phone)
        tracker.events.append({"event": "action", "name": "order_verify_form"})
        for name, value in (("order_number", "10456"), ("phone", phone)):
            tracker.events.append({"event": "slot", "name": name, "value": value})
            tracker.slots[name] = value
        messages, events = run(ValidateOrderVerifyForm(), tracker)
        seconds = next((m.get("seconds") for m in messages if m.get("seconds")), seconds)
    assert seconds and in_language(seconds, lang), seconds
    assert "verified_order" not in slot_events(events)


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
def test_hand_over_ticket_language(handoff_db, online, first, page, lang):  # noqa: F811
    tracker = conversation(first, page, {}, "ok")
    tracker.latest_message["intent"] = {"name": "human_handoff", "confidence": 1.0}
    messages, _ = run(ActionHandoff(), tracker)
    assert messages and tickets(handoff_db)[0].language == lang
    assert in_language(messages[0]["queue_position"], lang)


DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.mark.parametrize("first, page, lang", CONVERSATIONS)
@pytest.mark.parametrize(
    "response",
    ["utter_ask_phone", "utter_verification_mismatch", "utter_ask_rating", "utter_default"],
)
def test_the_wording_follows_the_customer_too(first, page, lang, response):
    """SebaNLG, on Rasa's own tracker (what the Rasa server holds)."""
    events = []
    for text in [first, *NEUTRAL]:
        events += [UserUttered(text, metadata={"language": page}), BotUttered("…")]
    tracker = DialogueStateTracker.from_events("web:c", events, slots=DOMAIN.slots)
    nlg = SebaNLG(domain=DOMAIN)
    text = asyncio.run(nlg.generate(response, tracker, "socketio"))["text"]
    bengali = any("\u0980" <= c <= "\u09ff" for c in text)
    assert bengali == (lang == "bn"), text
