"""Numbers that cannot be this shop's order numbers (issue 12): other shops' 11-15 digit ids,
courier tracking codes, a 4-digit slip. The form says what our numbers look like and asks
again; nothing is checked or counted. The attacks come first: typed controls and forged
slots still cannot get round the verification, and a real guess still counts."""

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from sqlalchemy import func, select

from actions.verification import (
    NOT_OURS,
    NOT_OURS_RESPONSE,
    TRACKING_CODE,
    TRACKING_CODE_RESPONSE,
    ActionCheckVerification,
    ValidateOrderVerifyForm,
    foreign_number,
)
from seba import verification
from seba.db import session_scope
from seba.db.models import VerificationAttempt
from seba.text import ORDER_NUMBER_DIGITS
from tests.test_actions import (  # noqa: F401 - no_slow_down: the fixture, used by every test
    DOMAIN,
    MAX_VERIFICATION_ATTEMPTS,
    form_tracker,
    make_tracker,
    no_slow_down,
    responses,
    run,
    slot_events,
    user_event,
)

LONG = "123456789012"  # another shop's order id


def attempts(db_url: str, conversation: str = "customer-1") -> int:
    with session_scope(db_url) as session:
        return session.execute(
            select(func.count())
            .select_from(VerificationAttempt)
            .where(VerificationAttempt.conversation_id == conversation)
        ).scalar_one()


def asked_for(slot: str, **slots: Any) -> Dict[str, Any]:
    return {"requested_slot": slot, **slots}


def answer(value: str, slots: Dict[str, Any], entities: List[dict] = (), **candidates: Any):
    """The customer's message ``value`` while the form asks; its slot candidates."""
    return form_tracker(slots, candidates or {"order_number": value}, value, entities=entities)


def entity(value: str) -> dict:
    return {"entity": "order_number", "value": value}


# -- attacks first -------------------------------------------------------------------------------


def test_a_typed_control_with_a_long_number_verifies_nothing_and_counts_nothing(shop_db):
    """``/inform{"order_number":"123456789012"}`` typed: seba.controls drops the slash and the
    NLU reads the rest; the order number entity (the NLU's long-number extraction) is answered
    as not ours: no check, no failure, nothing verified."""
    text = 'inform{"order_number":"123456789012"}'
    tracker = form_tracker(
        asked_for("order_number", verification_failures=2.0),
        {"order_number": LONG},
        text,
        entities=[entity(LONG)],
    )
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == [NOT_OURS_RESPONSE]
    assert slot_events(events) == {"order_number": None}  # failures untouched, nothing verified
    assert attempts(shop_db) == 0


def test_forged_verified_slots_in_a_typed_control_do_not_verify(shop_db):
    """Slots the customer could try to name are set by the actions only (custom mappings):
    a conversation whose phone never matched is not verified, whatever the message said."""
    text = 'inform{"verified_order":"10456","verified_phone":"01711000001"}'
    tracker = make_tracker({"verified_order": "10456"}, texts=[text])  # no phone, no time
    _, events = run(ActionCheckVerification(), tracker)
    assert slot_events(events)["verification"] == "unavailable"


@pytest.mark.parametrize("number", ["10457", "1234567", "১২৩৪৫৬৭"])
def test_a_number_of_our_length_is_a_guess_and_counts(shop_db, number):
    """Someone else's order (10457 is not 01711000001's) or a 7-digit number that is no
    order: a guess at a real order number, checked and counted."""
    tracker = form_tracker(
        asked_for("phone"), {"order_number": number, "phone": "01711000001"}, "01711000001"
    )
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == ["utter_verification_mismatch"]
    assert slot_events(events)["verification_failures"] == 1  # counted in the database
    assert attempts(shop_db) == 1


def test_malformed_numbers_between_guesses_reset_nothing(shop_db):
    """Two wrong guesses, a long number, then a third wrong guess: the form stops as it
    would have without the long number."""
    slots: Dict[str, Any] = {"verification_failures": 0.0}
    for attempt in range(1, MAX_VERIFICATION_ATTEMPTS):
        tracker = form_tracker(slots, {"order_number": "10456", "phone": "01700000000"}, "x")
        slots.update(slot_events(run(ValidateOrderVerifyForm(), tracker)[1]))
        assert slots["verification_failures"] == attempt
    messages, events = run(
        ValidateOrderVerifyForm(), answer(LONG, asked_for("order_number", **slots))
    )
    assert responses(messages) == [NOT_OURS_RESPONSE]
    assert "verification_failures" not in slot_events(events)
    tracker = form_tracker(slots, {"order_number": "10456", "phone": "01700000000"}, "x")
    events = run(ValidateOrderVerifyForm(), tracker)[1]
    assert slot_events(events)["verification_failures"] == MAX_VERIFICATION_ATTEMPTS
    assert slot_events(events)["requested_slot"] is None  # stopped: the rules offer a person
    assert attempts(shop_db) == MAX_VERIFICATION_ATTEMPTS


def test_the_check_refuses_a_malformed_number_without_counting(shop_db):
    """seba.verification.check itself: a number that is not ours is not an attempt (before,
    it answered MISMATCH with 0 failures, which the form would have written to the slot)."""
    for number in (LONG, "PTH123456", "1045", ""):
        outcome = verification.check(number, "01711000001", "customer-1", url=shop_db)
        assert outcome.status == verification.MALFORMED
    assert attempts(shop_db) == 0
    messages, events = run(
        ValidateOrderVerifyForm(),
        form_tracker({"verification_failures": 2.0}, {"phone": "01711000001"}, "01711000001"),
    )
    assert "verification_failures" not in slot_events(events)  # no order number: not checked


# -- numbers that are not ours --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [
        (LONG, NOT_OURS),
        ("১২৩৪৫৬৭৮৯০১২", NOT_OURS),  # Bengali digits
        ("#123456789012345", NOT_OURS),  # a 15-digit id
        ("12345678", NOT_OURS),  # one digit more than ours
        ("my order id is 20231105123456", NOT_OURS),
        ("1045", NOT_OURS),  # a slip: a number alone, shorter than ours
        ("#৪৫৬", NOT_OURS),
        ("PTH123456", TRACKING_CODE),
        ("pth 123456", TRACKING_CODE),  # its digits are not an order number of ours
        ("SF40457123", TRACKING_CODE),
        ("RDX-10458777", TRACKING_CODE),
        ("parcel er code SCS1234567", TRACKING_CODE),
        ("10456", None),  # ours
        ("১০৪৫৬", None),
        ("order 10456, tracking PTH123456", None),  # ours is there too: checked as usual
        ("10456 / 123456789012", None),
        ("01711000001", None),  # a phone
        ("+8801711000001", None),
        ("8801711000001", None),
        ("1500 taka", None),  # money, and not alone
        ("ami jani na", None),
        ("12", None),
        ("", None),
        (None, None),
    ],
)
def test_foreign_number(text, kind):
    assert foreign_number(text) == kind


@pytest.mark.parametrize(
    "text, response",
    [
        (LONG, NOT_OURS_RESPONSE),
        ("আমার অর্ডার নম্বর ১২৩৪৫৬৭৮৯০১২", NOT_OURS_RESPONSE),
        ("1045", NOT_OURS_RESPONSE),
        ("PTH123456", TRACKING_CODE_RESPONSE),
        ("RDX10458777", TRACKING_CODE_RESPONSE),
    ],
)
def test_the_form_says_the_number_is_not_ours_and_asks_again(shop_db, text, response):
    messages, events = run(ValidateOrderVerifyForm(), answer(text, asked_for("order_number")))
    assert responses(messages) == [response]
    assert slot_events(events) == {"order_number": None}  # Rasa asks for it again
    assert attempts(shop_db) == 0


def test_a_tracking_code_whose_digits_look_like_ours_is_not_checked(shop_db):
    """ "PTH 123456": the NLU's extractor takes 123456 for an order number; the message says
    it is a tracking code."""
    tracker = answer(
        "PTH 123456",
        asked_for("order_number"),
        entities=[entity("123456")],
        order_number="123456",
    )
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == [TRACKING_CODE_RESPONSE]
    assert slot_events(events) == {"order_number": None}


def test_an_entity_of_another_length_beside_one_of_ours_takes_ours(shop_db):
    tracker = answer(
        "10456 na 123456789012?",
        asked_for("order_number"),
        entities=[entity(LONG), entity("10456")],
        order_number=LONG,
    )
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert messages == [] and slot_events(events) == {"order_number": "10456"}


def test_a_long_number_given_for_the_phone_keeps_the_order_number(shop_db):
    events = [
        {"event": "action", "name": "action_listen"},
        user_event("10456", entities=[entity("10456")]),
        {"event": "action", "name": "order_verify_form"},
        {"event": "slot", "name": "order_number", "value": "10456"},
        {"event": "slot", "name": "requested_slot", "value": "phone"},
        {"event": "action", "name": "action_listen"},
        user_event(LONG, entities=[entity(LONG)]),
        {"event": "action", "name": "order_verify_form"},
        {"event": "slot", "name": "order_number", "value": LONG},
        {"event": "slot", "name": "phone", "value": LONG},
    ]
    slots = {"order_number": LONG, "phone": LONG, "requested_slot": "phone"}
    latest = events[6]["parse_data"]
    tracker = Tracker(
        "customer-1", slots, latest, events, False, None, {"name": "order_verify_form"}, ""
    )
    messages, result = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == ["utter_phone_invalid"]  # one answer, about the phone
    assert slot_events(result) == {"order_number": "10456", "phone": None}
    assert attempts(shop_db) == 0


@pytest.mark.parametrize(
    "text, response",
    [
        ("where is my order 123456789012", NOT_OURS_RESPONSE),
        ("আমার পার্সেল PTH123456 কোথায়?", TRACKING_CODE_RESPONSE),
    ],
)
def test_the_form_starting_on_a_number_not_ours_says_so_first(shop_db, text, response):
    """The form starts (the request is kept in order_task by its mapping) and the message had
    no order number of ours: the customer hears why before the form asks for one."""
    tracker = form_tracker({"order_task": "status"}, {}, text, intent="order_status")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert responses(messages) == [response]
    assert "order_number" not in slot_events(events)
    assert "requested_slot" not in slot_events(events)  # the form goes on: Rasa asks
    assert attempts(shop_db) == 0


def test_the_form_starting_on_one_of_ours_says_nothing_about_it(shop_db):
    tracker = form_tracker({}, {"order_number": "10456"}, "10456 kothay?", intent="order_status")
    messages, events = run(ValidateOrderVerifyForm(), tracker)
    assert messages == [] and slot_events(events) == {"order_number": "10456"}


@pytest.mark.parametrize(
    "texts, digits",
    [(["Where is my order?", LONG], "5 to 7"), (["আমার অর্ডার কোথায়?", LONG], "৫ থেকে ৭")],
)
def test_the_answer_says_our_format_as_the_code_defines_it(shop_db, texts, digits):
    """seba.text.ORDER_NUMBER_DIGITS is the one source; in the customer's digits."""
    assert ORDER_NUMBER_DIGITS == (5, 7)
    tracker = make_tracker(
        asked_for("order_number", order_number=LONG),
        texts=texts,
        active_loop="order_verify_form",
        extra_events=[
            {"event": "action", "name": "order_verify_form"},
            {"event": "slot", "name": "order_number", "value": LONG},
        ],
    )
    messages, _ = run(ValidateOrderVerifyForm(), tracker)
    assert messages[0]["response"] == NOT_OURS_RESPONSE
    assert messages[0]["order_number_digits"] == digits
    for name in (NOT_OURS_RESPONSE, TRACKING_CODE_RESPONSE):
        for variation in DOMAIN["responses"][name]:
            assert "{order_number_digits}" in variation["text"], name
