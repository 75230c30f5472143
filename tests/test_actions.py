"""Custom actions against a real (SQLite) demo database.

Trackers are built the way the action server receives them (events as dicts), the
action runs with a CollectingDispatcher, and the tests check the responses, their
values, the events and what was written to the database.
Demo orders (contract): 10456/01711000001 shipped, 10457/01811000002 delivered 3 days
ago, 10458/01911000003 delivered 40 days ago, 10459/01611000004 confirmed (bKash paid),
10460/01511000005 cancelled with a 1250 BDT bKash refund pending.
"""

import asyncio
import dataclasses
import logging
import time
from typing import Any, Dict, Iterable, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.base import SebaAction
from actions.orders import (
    ActionCancelCheck,
    ActionCancelOrder,
    ActionOrderStatus,
    ActionRefundStatus,
    ValidateCancelConfirmForm,
)
from actions.products import ActionProductInfo
from actions.returns import (
    ActionCreateReturn,
    ActionReturnCheck,
    ValidateReturnReasonForm,
    reason_from_text,
)
from actions.verification import ActionCheckVerification, ValidateOrderVerifyForm
from seba import PROJECT_ROOT, shop, verification
from seba.db import dispose_engines, session_scope
from seba.db.models import Order, ReturnRequest

with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as _f:
    DOMAIN: Dict[str, Any] = yaml.safe_load(_f)

BN_TEXT = "আমার অর্ডারটা কোথায়?"
EN_TEXT = "Where is my order?"
BANGLISH_TEXT = "amar order ta kothay vai?"

DEMO = {
    "10456": "01711000001",
    "10457": "01811000002",
    "10458": "01911000003",
    "10459": "01611000004",
    "10460": "01511000005",
}


# -- helpers -----------------------------------------------------------------------------------


def user_event(text: str, intent: str = "inform", entities: Iterable[dict] = ()) -> dict:
    return {
        "event": "user",
        "text": text,
        "metadata": {},
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": list(entities),
        },
    }


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    texts: Iterable[str] = (BN_TEXT,),
    intent: str = "inform",
    entities: Iterable[dict] = (),
    active_loop: Optional[str] = None,
    extra_events: Iterable[dict] = (),
    sender_id: str = "customer-1",
) -> Tracker:
    """A tracker whose last user message is the last of ``texts``."""
    texts = list(texts)
    events: List[dict] = []
    for i, text in enumerate(texts):
        events.append({"event": "action", "name": "action_listen"})
        last = i == len(texts) - 1
        events.append(user_event(text, intent if last else "inform", entities if last else ()))
    events += list(extra_events)
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker(
        sender_id,
        dict(slots or {}),
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def verified(number: str, **slots: Any) -> Dict[str, Any]:
    """Slots of a conversation that verified ``number`` a moment ago."""
    return {
        "verified_order": number,
        "verified_phone": DEMO[number],
        "verified_at": time.time() - 5,
        **slots,
    }


def run(action, tracker: Tracker, domain: Optional[dict] = None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or DOMAIN))
    return dispatcher.messages, events


def responses(messages: List[dict]) -> List[str]:
    return [m["response"] for m in messages]


def slot_events(events: List[dict], with_time: bool = False) -> Dict[str, Any]:
    """Slots set by the events; ``verified_at`` (a clock reading) only if asked for."""
    return {
        e["name"]: e["value"]
        for e in events
        if e.get("event") == "slot" and (with_time or e["name"] != "verified_at")
    }


def form_tracker(
    slots: Dict[str, Any], candidates: Dict[str, Any], text: str, **kwargs: Any
) -> Tracker:
    """The tracker a form validation action gets: slot candidates after the form action."""
    extra = [{"event": "action", "name": "order_verify_form"}] + [
        {"event": "slot", "name": k, "value": v} for k, v in candidates.items()
    ]
    return make_tracker(
        {**slots, **candidates},
        texts=[text],
        active_loop="order_verify_form",
        extra_events=extra,
        **kwargs,
    )


def get_order(db_url: str, number: str) -> Order:
    with session_scope(db_url) as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one()
        session.expunge(order)
        return order


MAX_VERIFICATION_ATTEMPTS = 3  # shop.yml verification.max_failures_per_conversation


@pytest.fixture(autouse=True)
def no_slow_down(monkeypatch):
    """The tests retry at once: no wait between attempts (tested in test_verification.py)."""
    rules = dataclasses.replace(verification.policy(), slow_down_seconds=0)
    monkeypatch.setattr(verification, "policy", lambda: rules)
    assert rules.max_failures_per_conversation == MAX_VERIFICATION_ATTEMPTS


@pytest.fixture
def db_down(monkeypatch, tmp_path):
    """DATABASE_URL pointing at a database that cannot be opened."""
    url = f"sqlite:///{tmp_path}/missing-dir/shop.db"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    dispose_engines(url)


@pytest.fixture
def postgres_down(monkeypatch):
    """DATABASE_URL pointing at a PostgreSQL server that is not there (port 9 refuses)."""
    url = "postgresql+psycopg2://seba@127.0.0.1:9/seba"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    dispose_engines(url)


# -- verification ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, phone",
    [
        ("১০৪৫৬", "০১৭১১০০০০০১"),  # Bengali digits
        ("#10456", "+880 1711-000001"),  # hash, +880 and a dash
        ("order 10456", "8801711000001"),  # free text from the form's from_text mapping
        ("10456", "০১৭১১ ০০০ ০০১"),
    ],
)
def test_verification_succeeds_with_normalised_input(shop_db, number, phone):
    tracker = form_tracker({}, {"order_number": number, "phone": phone}, phone)
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    slots = slot_events(events)
    assert messages == []
    assert slots["verified_order"] == "10456"
    assert slots["verified_phone"] == "01711000001"
    assert slots["verification_failures"] == 0
    assert slots["order_number"] is None and slots["phone"] is None
    assert slots["requested_slot"] is None  # the form is done


def test_order_number_alone_is_normalised_and_the_form_goes_on(shop_db):
    tracker = form_tracker({}, {"order_number": "অর্ডার নং ১০৪৫৬"}, "অর্ডার নং ১০৪৫৬")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert messages == []
    assert slot_events(events) == {"order_number": "10456"}  # Rasa asks for the phone next


@pytest.mark.parametrize(
    "slot, value, response",
    [
        ("order_number", "ami jani na", "utter_order_number_invalid"),
        ("order_number", "01711000001", "utter_order_number_invalid"),  # a phone is not an order
        ("phone", "1234", "utter_phone_invalid"),
        ("phone", "my number is secret", "utter_phone_invalid"),
    ],
)
def test_unparseable_values_are_asked_again_with_the_format(shop_db, slot, value, response):
    tracker = form_tracker({}, {slot: value}, value)
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == [response]
    assert slot_events(events) == {slot: None}


def test_wrong_phone_three_times_stops_the_form(shop_db):
    slots: Dict[str, Any] = {"verification_failures": 0.0}
    for attempt in range(1, MAX_VERIFICATION_ATTEMPTS + 1):
        tracker = form_tracker(
            slots, {"order_number": "10456", "phone": "01700000000"}, "10456 01700000000"
        )
        messages, events = run(ValidateOrderVerifyForm(), tracker)
        new = slot_events(events)
        slots.update(new)
        assert new["verification_failures"] == attempt
        assert new["order_number"] is None and new["phone"] is None  # asked again from scratch
        assert "verified_order" not in new
        if attempt < MAX_VERIFICATION_ATTEMPTS:
            assert responses(messages) == ["utter_verification_mismatch"]
            assert "requested_slot" not in new  # Rasa asks for the order number again
        else:
            assert messages == []  # the rules say "could not verify" and offer a person
            assert new["requested_slot"] is None
    # The form does not ask any more, even with the right details.
    tracker = form_tracker(slots, {"order_number": "10456", "phone": "01711000001"}, "10456")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert messages == [] and "verified_order" not in slot_events(events)
    assert slot_events(events)["requested_slot"] is None
    _, events = run(ActionCheckVerification(), make_tracker(slots))
    assert slot_events(events)["verification"] == "failed"


def test_mismatch_reveals_nothing_about_which_part_was_wrong(shop_db):
    replies = []
    for n, (number, phone) in enumerate(
        [("10456", "01811000002"), ("99999", "01711000001"), ("10457", "01711000001")]
    ):
        tracker = form_tracker(
            {}, {"order_number": number, "phone": phone}, phone, sender_id=f"customer-{n}"
        )
        messages, _ = run(ValidateOrderVerifyForm(), tracker)
        replies.append(messages)
    assert all(m == replies[0] for m in replies)
    assert responses(replies[0]) == ["utter_verification_mismatch"]
    assert replies[0][0].keys() >= {"response"} and "order_number" not in replies[0][0]


def test_verified_order_is_not_asked_again(shop_db):
    form = ValidateOrderVerifyForm()
    slots = verified("10456")
    # Activation for a second task: nothing to validate, the form ends at once.
    messages, events = run(form, form_tracker(slots, {}, "এটা কি বাতিল করা যাবে?"))
    assert messages == [] and slot_events(events) == {"requested_slot": None}
    # The same order number mentioned again changes nothing.
    tracker = form_tracker(slots, {"order_number": "10456"}, "10456 er refund?")
    messages, events = run(form, tracker)
    assert messages == [] and slot_events(events) == {"requested_slot": None}


def test_a_new_order_number_is_verified_afresh(shop_db):
    tracker = form_tracker(verified("10456"), {"order_number": "১০৪৫৭"}, "আর ১০৪৫৭ এর কি অবস্থা?")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    slots = slot_events(events)
    assert messages == []
    assert slots["order_number"] == "10457"
    assert slots["verified_order"] is None and slots["verified_phone"] is None
    assert "requested_slot" not in slots  # Rasa asks for the phone of the new order
    tracker = form_tracker({**verified("10456"), **slots}, {"phone": "01811000002"}, "01811000002")
    _, events = run(ValidateOrderVerifyForm(), tracker)
    assert slot_events(events)["verified_order"] == "10457"


def test_check_verification_outcomes():
    check = ActionCheckVerification()

    def outcome(slots):
        return slot_events(run(check, make_tracker(slots))[1])

    assert outcome(verified("10456")) == {"verification": "verified", "verification_locked": None}
    assert outcome({"verification_failures": 3.0})["verification"] == "failed"
    assert outcome({"order_number": "10456"})["verification"] == "unavailable"
    assert outcome({**verified("10456"), "verification_locked": True})["verification"] == "locked"
    # A verification that went idle (30 minutes without use) is not one any more.
    assert (
        outcome(verified("10456", verified_at=time.time() - 31 * 60))["verification"]
        == "unavailable"
    )


# -- order status ------------------------------------------------------------------------------


def test_status_shipped_in_bangla(shop_db, demo_today):
    messages, events = run(ActionOrderStatus(), make_tracker(verified("10456")))
    assert slot_events(events) == {"rating_due": True}  # answered: a rating at the thanks
    [message] = messages
    assert message["response"] == "utter_order_status_shipped"
    assert message["order_number"] == "10456"
    assert message["courier"] == "Pathao"
    assert message["tracking_code"] == "PTH123456"
    # expected in 2 days, written the Bangla way with Bengali digits
    assert any(c in message["expected_date"] for c in "০১২৩৪৫৬৭৮৯")
    assert not any(c.isascii() and c.isdigit() for c in message["expected_date"])


def test_status_in_english(shop_db, demo_today):
    import datetime as dt

    messages, _ = run(ActionOrderStatus(), make_tracker(verified("10456"), texts=[EN_TEXT]))
    expected = demo_today + dt.timedelta(days=2)
    assert messages[0]["expected_date"].startswith(f"{expected.day} ")
    assert messages[0]["expected_date"].split()[1] == expected.strftime("%B")


def test_status_banglish_is_answered_in_bangla(shop_db):
    messages, _ = run(ActionOrderStatus(), make_tracker(verified("10457"), texts=[BANGLISH_TEXT]))
    assert messages[0]["response"] == "utter_order_status_delivered"
    assert any(c in messages[0]["delivered_date"] for c in "০১২৩৪৫৬৭৮৯")


@pytest.mark.parametrize(
    "number, response",
    [
        ("10457", "utter_order_status_delivered"),
        ("10458", "utter_order_status_delivered"),
        ("10459", "utter_order_status_confirmed"),
        ("10460", "utter_order_status_cancelled"),
    ],
)
def test_status_of_every_demo_order(shop_db, number, response):
    messages, _ = run(ActionOrderStatus(), make_tracker(verified(number), texts=[EN_TEXT]))
    assert responses(messages) == [response]


@pytest.mark.parametrize(
    "slots",
    [
        {"order_number": "10456"},  # never verified
        {"verified_order": "10456", "verified_phone": "01711000001"},  # forged slots, no time
        verified("10456", verified_at=time.time() - 31 * 60),  # went idle
        {**verified("10456"), "verified_phone": "01700000000"},  # a pair that never matched
    ],
)
def test_status_without_a_current_verification_reveals_nothing(shop_db, slots):
    messages, events = run(ActionOrderStatus(), make_tracker(slots))
    assert responses(messages) == ["utter_verification_expired"]  # "please verify again"
    assert slot_events(events, with_time=True) == {
        "verified_order": None,
        "verified_phone": None,
        "verified_at": None,
    }


def test_a_lock_placed_after_the_verification_holds(shop_db):
    for n in range(5):  # five strangers' failures lock the order
        verification.check("10456", f"0170000000{n}", f"web:stranger{n}", url=shop_db)
    messages, _ = run(ActionOrderStatus(), make_tracker(verified("10456")))
    assert responses(messages) == ["utter_verification_expired"]
    assert "PTH123456" not in str(messages)


def test_using_the_verified_order_restarts_its_idle_time(shop_db):
    before = time.time()
    _, events = run(ActionOrderStatus(), make_tracker(verified("10456")))
    assert slot_events(events, with_time=True)["verified_at"] >= before


# -- cancellation ------------------------------------------------------------------------------


def test_cancel_check_allows_a_confirmed_order(shop_db):
    messages, events = run(ActionCancelCheck(), make_tracker(verified("10459")))
    assert messages == []
    assert slot_events(events) == {"cancel_allowed": True, "cancel_confirmed": None}


@pytest.mark.parametrize(
    "number, response, status_bn",
    [
        ("10456", "utter_cancel_too_late", "কুরিয়ারে পাঠানো হয়েছে"),
        ("10457", "utter_cancel_too_late_delivered", None),
        ("10460", "utter_cancel_already_cancelled", None),
    ],
)
def test_cancel_check_explains_why_not(shop_db, number, response, status_bn):
    messages, events = run(ActionCancelCheck(), make_tracker(verified(number)))
    assert responses(messages) == [response]
    assert slot_events(events) == {"cancel_allowed": False}
    if status_bn:
        assert messages[0]["status"] == status_bn
    if response == "utter_cancel_too_late_delivered":
        assert messages[0]["delivered_date"]


def test_cancel_confirmed_is_written_with_a_refund_for_bkash(shop_db):
    slots = verified("10459", cancel_confirmed=True)
    messages, events = run(ActionCancelOrder(), make_tracker(slots, texts=["yes cancel it"]))
    [message] = messages
    assert message["response"] == "utter_order_cancelled_refund"
    assert message["order_number"] == "10459"
    assert message["refund_method"].startswith("bKash")
    assert message["amount"].startswith("BDT ")
    assert slot_events(events) == {"cancel_confirmed": None}
    order = get_order(shop_db, "10459")
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert order.payment_status == "refund_pending"
    with session_scope(shop_db) as session:
        refund = shop.latest_refund(session, shop.verify_order(session, "10459", DEMO["10459"]))
        assert refund.status == "pending" and refund.method == "bkash"


def test_cancel_declined_keeps_the_order(shop_db):
    messages, events = run(
        ActionCancelOrder(), make_tracker(verified("10459", cancel_confirmed=False))
    )
    assert responses(messages) == ["utter_cancel_kept"]
    assert get_order(shop_db, "10459").status == "confirmed"


def test_cancel_of_a_cod_order_has_no_refund(shop_db, monkeypatch):
    with session_scope(shop_db) as session:
        order = shop.verify_order(session, "10456", DEMO["10456"])
        order.status = "placed"
    messages, _ = run(ActionCancelOrder(), make_tracker(verified("10456", cancel_confirmed=True)))
    assert responses(messages) == ["utter_order_cancelled"]
    assert get_order(shop_db, "10456").status == "cancelled"


def test_cancel_too_late_when_the_status_changed_meanwhile(shop_db):
    with session_scope(shop_db) as session:
        shop.verify_order(session, "10459", DEMO["10459"]).status = "packed"
    messages, _ = run(ActionCancelOrder(), make_tracker(verified("10459", cancel_confirmed=True)))
    assert responses(messages) == ["utter_cancel_too_late"]
    assert get_order(shop_db, "10459").status == "packed"


# -- returns -----------------------------------------------------------------------------------


def test_return_check_eligible(shop_db, settings):
    messages, events = run(ActionReturnCheck(), make_tracker(verified("10457"), texts=[EN_TEXT]))
    assert responses(messages) == ["utter_return_eligible"]
    assert messages[0]["days_left"] == str(settings.return_window_days - 3)
    assert slot_events(events) == {"return_eligible": True}


@pytest.mark.parametrize(
    "number, response",
    [
        ("10458", "utter_return_window_passed"),
        ("10456", "utter_return_not_delivered"),
        ("10460", "utter_return_order_cancelled"),
    ],
)
def test_return_check_not_eligible(shop_db, number, response):
    messages, events = run(ActionReturnCheck(), make_tracker(verified(number)))
    assert responses(messages) == [response]
    assert slot_events(events) == {"return_eligible": False}
    if response == "utter_return_window_passed":
        assert messages[0]["delivered_date"]


def test_return_check_non_returnable_category(shop_db):
    with session_scope(shop_db) as session:
        order = shop.verify_order(session, "10457", DEMO["10457"])
        for item in order.items:
            item.product.returnable = False
    messages, events = run(ActionReturnCheck(), make_tracker(verified("10457")))
    assert responses(messages) == ["utter_return_not_returnable"]
    assert messages[0]["items"]
    assert slot_events(events) == {"return_eligible": False}


@pytest.mark.parametrize(
    "text, code",
    [
        ("size choto hoye geche", "wrong_size_or_colour"),
        ("সাইজ বড় হয়েছে", "wrong_size_or_colour"),
        ("রং আলাদা", "wrong_size_or_colour"),
        ("the colour is wrong", "wrong_size_or_colour"),
        ("ছেঁড়া", "damaged"),
        ("সেলাই খুলে গেছে", "damaged"),
        ("it arrived torn", "damaged"),
        ("kapor ta fata", "damaged"),
        ("ছবির সাথে মিলে নাই", "not_as_described"),
        ("not what the description said", "not_as_described"),
        ("quality kharap", "not_as_described"),
        ("it's just not what I expected", "not_as_described"),
        ("pochondo hoy nai", "changed_mind"),
        ("পছন্দ হয়নি", "changed_mind"),
        ("I changed my mind", "changed_mind"),
        ("hmm", None),
        ("", None),
    ],
)
def test_reason_keywords(text, code):
    assert reason_from_text(text) == code


def reason_tracker(
    value: Any, text: str, entities: Iterable[dict] = (), intent: str = "inform"
) -> Tracker:
    extra = [
        {"event": "action", "name": "return_reason_form"},
        {"event": "slot", "name": "return_reason", "value": value},
    ]
    return make_tracker(
        {"return_reason": value},
        texts=[text],
        entities=entities,
        intent=intent,
        active_loop="return_reason_form",
        extra_events=extra,
    )


def test_reason_from_a_button():
    payload = '/inform{"return_reason":"damaged"}'
    tracker = reason_tracker("damaged", payload, [{"entity": "return_reason", "value": "damaged"}])
    messages, events = run(ValidateReturnReasonForm(), tracker)
    assert messages == []
    assert slot_events(events) == {"return_reason": "damaged", "return_details": None}


def test_reason_from_free_text_keeps_the_words():
    text = "size choto hoye geche, 54 lagto"
    messages, events = run(ValidateReturnReasonForm(), reason_tracker(text, text))
    assert messages == []
    assert slot_events(events) == {"return_reason": "wrong_size_or_colour", "return_details": text}


@pytest.mark.parametrize(
    "text, intent, code",
    [
        ("size choto hoye geche", "faq", "wrong_size_or_colour"),  # NLU heard "size guide"
        ("pochondo hoy nai", "deny", "changed_mind"),  # a reason that sounds like no
        ("ছবির সাথে মিলে নাই", "deny", "not_as_described"),
    ],
)
def test_a_reason_wins_over_the_intent(text, intent, code):
    messages, events = run(ValidateReturnReasonForm(), reason_tracker(text, text, intent=intent))
    assert messages == []
    assert slot_events(events)["return_reason"] == code


@pytest.mark.parametrize(
    "text, intent",
    [
        ("ডেলিভারি চার্জ কত?", "faq"),
        ("আপনি কি বট?", "bot_challenge"),
        ("না থাক", "deny"),
    ],
)
def test_questions_without_a_reason_go_back_to_the_rules(text, intent):
    messages, events = run(ValidateReturnReasonForm(), reason_tracker(text, text, intent=intent))
    assert messages == []
    assert slot_events(events) == {"return_reason": None}
    assert {"event": "action_execution_rejected", "name": "return_reason_form"}.items() <= [
        e for e in events if e["event"] == "action_execution_rejected"
    ][0].items()


def test_unclear_reason_is_asked_again():
    messages, events = run(ValidateReturnReasonForm(), reason_tracker("hmm", "hmm"))
    assert responses(messages) == ["utter_return_reason_unclear"]
    assert slot_events(events) == {"return_reason": None}
    assert all(e["event"] == "slot" for e in events)


def test_return_request_is_recorded(shop_db):
    slots = verified(
        "10457", return_reason="wrong_size_or_colour", return_details="size choto hoye geche"
    )
    tracker = make_tracker(slots, texts=["size choto hoye geche"], sender_id="fb-123")
    messages, events = run(ActionCreateReturn(), tracker)
    [message] = messages
    assert message["response"] == "utter_return_created_cod"  # 10457 was cash on delivery
    assert message["reference"] == "RT-10457-1"
    assert message["pickup_days"]  # from shop.yml delivery days for the order's area
    assert slot_events(events) == {
        "return_reason": None,
        "return_details": None,
        "rating_due": True,
    }
    with session_scope(shop_db) as session:
        request = (
            session.execute(select(ReturnRequest).where(ReturnRequest.reference == "RT-10457-1"))
            .scalars()
            .one()
        )
        assert request.reason == "wrong_size_or_colour"
        assert request.details == "size choto hoye geche"
        assert request.sender_id == "fb-123"
        assert request.status == "requested"
    # A second attempt is told about the existing request.
    messages, events = run(ActionReturnCheck(), make_tracker(verified("10457")))
    assert responses(messages) == ["utter_return_already_requested"]
    assert messages[0]["reference"] == "RT-10457-1"
    assert slot_events(events) == {"return_eligible": False}


def test_return_request_for_a_prepaid_order_names_the_refund_method(shop_db, demo_today):
    with session_scope(shop_db) as session:
        order = shop.verify_order(session, "10457", DEMO["10457"])
        order.payment_method = "bkash"
    slots = verified("10457", return_reason="damaged")
    messages, _ = run(ActionCreateReturn(), make_tracker(slots, texts=["it arrived torn"]))
    assert responses(messages) == ["utter_return_created"]
    assert messages[0]["refund_method"] == "bKash"


def test_return_without_a_reason_does_nothing(shop_db):
    messages, events = run(ActionCreateReturn(), make_tracker(verified("10457")))
    assert messages == []
    with session_scope(shop_db) as session:
        order = shop.verify_order(session, "10457", DEMO["10457"])
        assert order.return_requests == []


# -- refunds -----------------------------------------------------------------------------------


def test_refund_pending_in_bangla(shop_db):
    messages, _ = run(ActionRefundStatus(), make_tracker(verified("10460")))
    [message] = messages
    assert message["response"] == "utter_refund_status"
    assert message["amount"] == "১,২৫০ টাকা"
    assert message["refund_method"].startswith("বিকাশ")
    assert message["refund_status"] == "প্রক্রিয়াধীন"
    assert message["expected_date"]


def test_refund_pending_in_english(shop_db):
    messages, _ = run(ActionRefundStatus(), make_tracker(verified("10460"), texts=[EN_TEXT]))
    assert messages[0]["amount"] == "BDT 1,250"
    assert messages[0]["refund_method"].startswith("bKash")
    assert messages[0]["refund_status"] == "pending"


def test_no_refund(shop_db):
    messages, _ = run(ActionRefundStatus(), make_tracker(verified("10456")))
    assert responses(messages) == ["utter_no_refund"]
    assert messages[0]["order_number"] == "10456"


# -- products ----------------------------------------------------------------------------------


def test_product_from_the_entity(shop_db):
    tracker = make_tracker(
        texts=["borka ta koto taka?"],
        intent="product_info",
        entities=[{"entity": "product", "value": "borka"}],
    )
    messages, _ = run(ActionProductInfo(), tracker)
    names = responses(messages)
    assert names[0] in (
        "utter_product_several",
        "utter_product_in_stock",
        "utter_product_in_stock_no_sizes",
        "utter_product_out_of_stock",
    )
    details = [m for m in messages if m["response"] != "utter_product_several"]
    assert 1 <= len(details) <= 3
    assert all("বোরকা" in m["product_name"] or "বোরখা" in m["product_name"] for m in details)
    assert all(m["price"].endswith("টাকা") for m in details)


def test_product_from_the_whole_message_in_english(shop_db):
    tracker = make_tracker(texts=["how much is the black borka?"], intent="product_info")
    messages, _ = run(ActionProductInfo(), tracker)
    details = [m for m in messages if m["response"] != "utter_product_several"]
    assert details and all(m["price"].startswith("BDT ") for m in details)
    assert "Borka" in details[0]["product_name"] or "Burqa" in details[0]["product_name"]


def test_product_not_found(shop_db):
    tracker = make_tracker(texts=["do you sell refrigerators?"], intent="product_info")
    messages, _ = run(ActionProductInfo(), tracker)
    assert responses(messages) == ["utter_product_not_found"]


def test_out_of_stock_product(shop_db):
    with session_scope(shop_db) as session:
        [product] = shop.find_products(session, "black borka", limit=1)
        product.stock = 0
        name = product.name_en
    tracker = make_tracker(texts=[f"is the {name} available?"], intent="product_info")
    messages, _ = run(ActionProductInfo(), tracker)
    out = [m for m in messages if m["response"] == "utter_product_out_of_stock"]
    assert out and out[0]["product_name"] == name


# -- handoff: tests/test_actions_handoff.py ------------------------------------------------------


# -- the database is down: an apology, never a stack trace or silence ------------------------

DOWN_CASES = [
    (ActionOrderStatus, verified("10456"), {}),
    (ActionCancelCheck, verified("10459"), {"cancel_allowed": False}),
    (ActionCancelOrder, verified("10459", cancel_confirmed=True), {}),
    (ActionReturnCheck, verified("10457"), {"return_eligible": False}),
    (ActionCreateReturn, verified("10457", return_reason="damaged"), {}),
    (ActionRefundStatus, verified("10460"), {}),
]


@pytest.mark.parametrize("action, slots, expected", DOWN_CASES)
def test_database_file_unavailable(db_down, caplog, action, slots, expected):
    with caplog.at_level(logging.ERROR):
        messages, events = run(action(), make_tracker(slots))
    assert responses(messages) == ["utter_technical_problem"]
    assert slot_events(events) == expected
    assert "database is unavailable" in caplog.text


@pytest.mark.parametrize("action, slots, expected", DOWN_CASES[:2])
def test_postgres_unreachable(postgres_down, action, slots, expected):
    messages, events = run(action(), make_tracker(slots))
    assert responses(messages) == ["utter_technical_problem"]
    assert slot_events(events) == expected


def test_product_search_database_down(db_down):
    tracker = make_tracker(texts=["borka koto?"], intent="product_info")
    messages, _ = run(ActionProductInfo(), tracker)
    assert responses(messages) == ["utter_technical_problem"]


def test_verification_database_down_ends_the_form_politely(db_down):
    tracker = form_tracker({}, {"order_number": "10456", "phone": "01711000001"}, "10456")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == ["utter_technical_problem"]
    assert slot_events(events) == {"requested_slot": None}
    # The rules then stop quietly (the customer has been told).
    _, events = run(ActionCheckVerification(), make_tracker({"order_number": "10456"}))
    assert slot_events(events)["verification"] == "unavailable"


def test_unexpected_error_is_logged_and_apologised_for(shop_db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(shop, "latest_refund", broken)
    with caplog.at_level(logging.ERROR):
        messages, events = run(ActionRefundStatus(), make_tracker(verified("10460")))
    assert responses(messages) == ["utter_technical_problem"]
    assert events == []
    assert "boom" in caplog.text  # logged with its traceback


def test_messages_prepared_before_a_failure_are_dropped():
    class HalfDone(SebaAction):
        def name(self):
            return "action_half_done"

        async def act(self, dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_order_status_shipped")
            raise ValueError("failed after the first message")

    messages, events = run(HalfDone(), make_tracker())
    assert responses(messages) == ["utter_technical_problem"]
    assert events == []


# -- cancellation needs a clear yes ------------------------------------------------------------


def cancel_tracker(value: Any, text: str, intent: str) -> Tracker:
    extra = [
        {"event": "action", "name": "cancel_confirm_form"},
        {"event": "slot", "name": "cancel_confirmed", "value": value},
    ]
    return make_tracker(
        {"cancel_confirmed": value},
        texts=[text],
        intent=intent,
        active_loop="cancel_confirm_form",
        extra_events=extra,
    )


@pytest.mark.parametrize(
    "text, intent",
    [
        ("/affirm", "affirm"),
        ("হ্যাঁ, বাতিল করে দিন", "affirm"),
        ("ha cancel koren", "cancel_order"),
        ("yes please cancel it", "cancel_order"),
        ("জি করুন", "affirm"),
    ],
)
def test_clear_yes_confirms_the_cancellation(text, intent):
    messages, events = run(ValidateCancelConfirmForm(), cancel_tracker(True, text, intent))
    assert messages == []
    assert slot_events(events) == {"cancel_confirmed": True}


@pytest.mark.parametrize("text", ["hmm ektu vabi", "হুম", "let me think"])
def test_a_vague_yes_is_asked_again(text):
    messages, events = run(ValidateCancelConfirmForm(), cancel_tracker(True, text, "affirm"))
    assert responses(messages) == ["utter_cancel_confirm_unclear"]
    assert slot_events(events) == {"cancel_confirmed": None}


def test_no_keeps_the_order():
    messages, events = run(ValidateCancelConfirmForm(), cancel_tracker(False, "na thak", "deny"))
    assert messages == [] and slot_events(events) == {"cancel_confirmed": False}
