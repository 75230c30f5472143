"""Returning customers (actions/customers.py, seba/customers.py) with tracker fixtures against
a real (SQLite) demo database: linking after a check, recognition, what still needs the phone,
the web's session-only links, and forgetting. The attacks come first.

Demo contract: 10456/01711000001 (customer A, shipped), 10457/01811000002 (customer B).
"""

import datetime as dt
import time
from typing import Any, Dict, Iterable, List, Optional

import pytest
from rasa_sdk import Tracker
from sqlalchemy import func, select

from actions.customers import ActionAskOrderNumber, ActionForgetMe
from actions.orders import ActionOrderStatus
from actions.verification import ActionCheckVerification, ValidateOrderVerifyForm, verified_now
from seba import customers, verification
from seba.db import local_now, session_scope
from seba.db.models import ChannelIdentity, Order, VerificationAttempt, VerificationLock
from tests.test_actions import DEMO, responses, run, slot_events, user_event

TG, FB, WEB = "tg:5550001", "fb:7770001", "web:0123abcd"
TG_STRANGER = "tg:5550999"


@pytest.fixture(autouse=True)
def no_slow_down(monkeypatch):
    import dataclasses

    rules = dataclasses.replace(verification.policy(), slow_down_seconds=0)
    monkeypatch.setattr(verification, "policy", lambda: rules)


def tracker(
    sender: str,
    slots: Optional[Dict[str, Any]] = None,
    candidates: Optional[Dict[str, Any]] = None,
    text: str = "amar order kothay?",
    intent: str = "order_status",
    session_started: Optional[float] = None,
    in_form: bool = True,
) -> Tracker:
    """What validate_order_verify_form (or another action) gets in conversation ``sender``:
    a session start (``session_started``, epoch; default a minute ago), the customer's
    message, the form's slot candidates."""
    started = time.time() - 60 if session_started is None else session_started
    events: List[dict] = [
        {"event": "action", "name": "action_session_start", "timestamp": started},
        {"event": "session_started", "timestamp": started},
        {"event": "action", "name": "action_listen"},
        user_event(text, intent),
    ]
    candidates = dict(candidates or {})
    if in_form:
        events.append({"event": "action", "name": "order_verify_form"})
        events += [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
    slots = {"order_task": "status", **(slots or {}), **candidates}
    return Tracker(
        sender,
        slots,
        events[3]["parse_data"],
        events,
        False,
        None,
        {"name": "order_verify_form"} if in_form else {},
        "action_listen",
    )


def check(sender: str, number: str, phone: str, **kwargs) -> Dict[str, Any]:
    """An ordinary number + phone check in ``sender``; the slots it set."""
    candidates = {"order_number": number, "phone": phone}
    messages, events = run(
        ValidateOrderVerifyForm(), tracker(sender, candidates=candidates, **kwargs)
    )
    return {"messages": responses(messages), **slot_events(events)}


def identity(db_url: str, sender: str) -> Optional[ChannelIdentity]:
    with session_scope(db_url) as session:
        row = session.execute(
            select(ChannelIdentity).where(ChannelIdentity.conversation_id == sender)
        ).scalar_one_or_none()
        if row is not None:
            session.expunge(row)
        return row


def customer_of(db_url: str, number: str) -> int:
    with session_scope(db_url) as session:
        return session.execute(select(Order.customer_id).where(Order.number == number)).scalar_one()


def add_orders(db_url: str, like: str, specs: Iterable[tuple]) -> None:
    """More orders for the customer of ``like``: (number, status, days ago, total)."""
    with session_scope(db_url) as session:
        model = session.execute(select(Order).where(Order.number == like)).scalar_one()
        for number, status, days_ago, total in specs:
            session.add(
                Order(
                    number=number,
                    customer_id=model.customer_id,
                    phone=model.phone,
                    delivery_area=model.delivery_area,
                    address=model.address,
                    status=status,
                    subtotal=total - 70,
                    delivery_charge=70,
                    total=total,
                    placed_at=local_now() - dt.timedelta(days=days_ago),
                )
            )


def link(db_url: str, sender: str, number: str) -> None:
    assert check(sender, number, DEMO[number])["verified_order"] == number
    assert identity(db_url, sender).customer_id == customer_of(db_url, number)


def form_step(sender: str, slots=None, candidates=None, **kwargs):
    messages, events = run(
        ValidateOrderVerifyForm(), tracker(sender, slots=slots, candidates=candidates, **kwargs)
    )
    return responses(messages), slot_events(events)


# --- attacks ----------------------------------------------------------------------------------


def test_a_stranger_on_telegram_who_never_verified_gets_no_order_list(shop_db):
    messages, events = run(ActionAskOrderNumber(), tracker(TG_STRANGER))
    assert responses(messages) == ["utter_ask_order_number"]
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    # The form asks for number and phone as always (Rasa decides the order: no override).
    said, slots = form_step(TG_STRANGER)
    assert said == [] and "verified_order" not in slots and "requested_slot" not in slots


def test_failed_and_locked_checks_link_nothing(shop_db):
    assert check(TG, "10456", "01700000000")["messages"] == ["utter_verification_mismatch"]
    assert identity(shop_db, TG) is None
    with session_scope(shop_db) as session:
        session.add(
            VerificationLock(
                order_number="10456",
                locked_at=local_now(),
                expires_at=local_now() + dt.timedelta(hours=1),
                failures=5,
            )
        )
    # The right phone on a locked order: refused, and still no link.
    assert check(TG, "10456", DEMO["10456"]).get("verification_locked") is True
    assert identity(shop_db, TG) is None


def test_a_linked_identity_cannot_read_another_customers_order_by_a_forged_inform(shop_db):
    link(shop_db, TG, "10456")
    # "/inform{"order_number": "10457"}" typed or forged reaches the form as a slot candidate
    # (seba/controls.py makes it text; the order-number extractor still finds the number).
    said, slots = form_step(TG, candidates={"order_number": "10457"})
    assert said == []
    assert "verified_order" not in slots and "verified_phone" not in slots
    assert slots["order_number"] == "10457"
    assert "requested_slot" not in slots  # Rasa asks for the phone: the ordinary check
    # A forged slot value changes nothing either: verified_by alone proves nothing.
    forged = {"verified_by": "link", "verified_order": "10457"}
    _, events = run(ActionOrderStatus(), tracker(TG, slots=forged, in_form=False))
    assert responses(_) == ["utter_verification_expired"]
    # And the list never shows B's order.
    messages, _ = run(ActionAskOrderNumber(), tracker(TG))
    assert all("10457" not in b["payload"] for b in messages[0]["buttons"])


def test_a_web_visitor_in_a_new_session_is_not_recognised(shop_db):
    link(shop_db, WEB, "10456")
    # The same session: recognised (its link was made after this session started).
    said, slots = form_step(WEB)
    assert slots["verified_order"] == "10456" and slots["verified_by"] == "link"
    # A new session of the same web id (token kept in localStorage): not recognised, and
    # the stale link is removed.
    later = time.time() + 5
    messages, _ = run(ActionAskOrderNumber(), tracker(WEB, session_started=later))
    assert responses(messages) == ["utter_ask_order_number"]
    assert identity(shop_db, WEB) is None


def test_a_web_link_without_a_session_start_is_not_recognised(shop_db):
    link(shop_db, WEB, "10456")
    assert customers.linked_customer(WEB, None, url=shop_db) is None


def test_telegram_and_messenger_links_outlive_the_session(shop_db):
    for sender in (TG, FB):
        link(shop_db, sender, "10456")
        said, slots = form_step(sender, session_started=time.time() + 3600)
        assert slots["verified_order"] == "10456" and slots["verified_by"] == "link"


# --- recognised -------------------------------------------------------------------------------


def test_a_linked_customer_with_one_active_order_gets_its_status_at_once(shop_db, demo_today):
    link(shop_db, TG, "10456")
    said, slots = form_step(TG)  # "amar order kothay?", no number, no phone
    assert said == []
    assert slots["verified_order"] == "10456" and slots["verified_phone"] == DEMO["10456"]
    assert slots["requested_slot"] is None  # the form is done: nothing asked
    done = tracker(TG, slots={**slots, "verified_at": time.time()}, in_form=False)
    _, events = run(ActionCheckVerification(), done)
    assert slot_events(events)["verification"] == "verified"
    messages, _ = run(ActionOrderStatus(), done)
    assert responses(messages) == ["utter_order_status_shipped"]
    assert messages[0]["tracking_code"] == "PTH123456"


def test_a_linked_customer_picks_from_the_recent_orders(shop_db):
    add_orders(
        shop_db,
        "10456",
        [
            ("20001", "delivered", 30, 990),
            ("20002", "confirmed", 1, 2150),
            ("20003", "placed", 0, 500),
        ],
    )
    add_orders(shop_db, "10456", [(str(20010 + n), "delivered", 60 + n, 700) for n in range(5)])
    link(shop_db, TG, "10456")
    # Several orders on their way: the form asks which (no phone).
    said, slots = form_step(TG)
    assert said == [] and slots["requested_slot"] == "order_number"
    assert "verified_order" not in slots
    messages, _ = run(ActionAskOrderNumber(), tracker(TG))
    assert responses(messages) == ["utter_ask_order_from_list"]
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        '/inform{"order_number": "%s"}' % n for n in ("20003", "20002", "10456", "20001", "20010")
    ]  # the five latest, newest first
    assert buttons[1]["title"].startswith("#20002 · ") and "২,১৫০" in buttons[1]["title"]
    # The button's number: verified by the link.
    said, slots = form_step(TG, candidates={"order_number": "20002"})
    assert slots["verified_order"] == "20002" and slots["verified_by"] == "link"
    assert slots["requested_slot"] is None


def test_an_english_list_is_in_english(shop_db):
    link(shop_db, TG, "10456")
    t = tracker(TG, text="where is my order", slots={"language": "en"})
    t.latest_message["metadata"] = {}
    messages, _ = run(ActionAskOrderNumber(), t)
    assert "BDT" in messages[0]["buttons"][0]["title"] or "Tk" in messages[0]["buttons"][0]["title"]


@pytest.mark.parametrize("task", ["cancel", "return"])
def test_changing_the_order_just_read_asks_only_its_phone(shop_db, task):
    link(shop_db, TG, "10456")
    read = {
        "verified_order": "10456",
        "verified_phone": DEMO["10456"],
        "verified_at": time.time(),
        "verified_by": "link",
        "order_task": task,
    }
    said, slots = form_step(TG, slots=read, text="eta cancel korte chai")
    assert said == [] and slots["order_number"] == "10456"
    assert slots["verified_order"] is None and slots["verified_phone"] is None
    assert "requested_slot" not in slots  # Rasa asks for the phone


@pytest.mark.parametrize("task", ["cancel", "return"])
def test_cancelling_or_returning_still_needs_the_phone(shop_db, task):
    link(shop_db, TG, "10456")
    said, slots = form_step(TG, slots={"order_task": task}, candidates={"order_number": "10456"})
    assert "verified_order" not in slots and "requested_slot" not in slots  # phone next
    # A link-verified status does not carry over to a change.
    read = {
        "verified_order": "10456",
        "verified_phone": DEMO["10456"],
        "verified_at": time.time(),
        "verified_by": "link",
    }
    assert verified_now(tracker(TG, slots=read))
    assert not verified_now(tracker(TG, slots={**read, "order_task": task}))
    # With the phone: verified, as for anyone.
    said, slots = form_step(
        TG,
        slots={"order_task": task, "order_number": "10456"},
        candidates={"phone": DEMO["10456"]},
    )
    assert slots["verified_order"] == "10456" and slots["verified_by"] == "phone"


def test_a_locked_order_is_not_shown_to_a_linked_identity(shop_db):
    link(shop_db, TG, "10456")
    with session_scope(shop_db) as session:
        session.add(
            VerificationLock(
                order_number="10456",
                locked_at=local_now(),
                expires_at=local_now() + dt.timedelta(hours=1),
                failures=5,
            )
        )
    # Not answered at once, and left out of the list (its status is not shown): the customer
    # types the number, then the phone, and the lock hands them to a person as for anyone.
    said, slots = form_step(TG)
    assert said == [] and slots == {"requested_slot": "order_number"}
    messages, _ = run(ActionAskOrderNumber(), tracker(TG))
    assert responses(messages) == ["utter_ask_order_number"]
    said, slots = form_step(TG, candidates={"order_number": "10456"})
    assert "verified_order" not in slots and "requested_slot" not in slots  # phone next


def test_a_second_customers_order_relinks_and_says_so(shop_db):
    link(shop_db, TG, "10456")
    result = check(TG, "10457", DEMO["10457"])
    assert result["verified_order"] == "10457"
    assert result["messages"] == ["utter_customer_relinked"]
    assert identity(shop_db, TG).customer_id == customer_of(shop_db, "10457")
    # The same customer again: nothing to say.
    assert check(TG, "10457", DEMO["10457"])["messages"] == []


# --- forget me --------------------------------------------------------------------------------


def forget_tracker(sender: str, text: str, intent: str = "affirm") -> Tracker:
    return tracker(sender, text=text, intent=intent, in_form=False)


def test_forget_me_removes_the_link_and_the_number_is_asked_again(shop_db):
    link(shop_db, TG, "10456")
    check(TG, "10457", "01700000000")  # a failed check: it keeps counting after forgetting
    messages, events = run(ActionForgetMe(), forget_tracker(TG, "/affirm"))
    assert responses(messages) == ["utter_forgotten"]
    assert slot_events(events) == {
        "verified_order": None,
        "verified_phone": None,
        "verified_by": None,
        "order_number": None,
        "phone": None,
    }
    assert identity(shop_db, TG) is None
    with session_scope(shop_db) as session:
        left = session.execute(
            select(VerificationAttempt.succeeded, func.count())
            .where(VerificationAttempt.conversation_id == TG)
            .group_by(VerificationAttempt.succeeded)
        ).all()
    assert left == [(False, 1)]
    # The next "amar order kothay": number and phone, like a stranger.
    messages, _ = run(ActionAskOrderNumber(), tracker(TG))
    assert responses(messages) == ["utter_ask_order_number"]
    said, slots = form_step(TG)
    assert "verified_order" not in slots and "requested_slot" not in slots


@pytest.mark.parametrize("text", ["hmm", "ektu vabi", "pore dekhi"])
def test_forget_me_needs_a_clear_yes(shop_db, text):
    link(shop_db, TG, "10456")
    messages, events = run(ActionForgetMe(), forget_tracker(TG, text))
    assert responses(messages) == ["utter_forget_me_kept"] and events == []
    assert identity(shop_db, TG) is not None


def test_forget_me_without_a_link_is_polite(shop_db):
    messages, _ = run(ActionForgetMe(), forget_tracker(TG_STRANGER, "হ্যাঁ, মুছে দিন"))
    assert responses(messages) == ["utter_forgotten"]


def test_link_needs_a_real_order_and_knows_the_channels(shop_db):
    assert customers.link(TG, "99999", url=shop_db) is None and identity(shop_db, TG) is None
    assert customers.platform_proven(TG) and customers.platform_proven(FB)
    assert not customers.platform_proven(WEB) and not customers.platform_proven("rest:app-1")
    assert not customers.platform_proven("tgx:1") and not customers.platform_proven("8801711")
    assert customers.link("rest:app-1", "10456", url=shop_db).customer_id
    assert identity(shop_db, "rest:app-1").channel == "rest"
