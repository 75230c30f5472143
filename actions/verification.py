"""Order verification: ``order_verify_form`` (order number + phone) and its outcome.

An order is shown only to someone who gives its number and the phone number on it. Each
attempt is decided and recorded by ``seba.verification.check`` in the shop database — per
order, per phone and per conversation, so a new session, a new chat or a restart resets
nothing — and a mismatch reveals nothing about which part was wrong:

* a mismatch: "that does not match", and the form asks again (attempts from one
  conversation are slowed down: "please wait N seconds");
* ``max_failures_per_conversation`` mismatches (shop.yml ``verification``): the form stops,
  ``verification`` = failed, and the rules offer a person;
* the order is locked (too many failures on it from anywhere, or a phone tried against many
  orders): the form stops, ``verification`` = locked, the customer is told politely and a
  person takes over (reason ``verification_locked``); even the right phone reveals nothing.

A verified order stays verified in this conversation for ``idle_minutes`` after its last use
(``verified_at``); a different order number verifies afresh.

A number that cannot be one of this shop's order numbers (another shop's 11-15 digit id, a
courier's tracking code, a 4-digit slip) is answered with what our numbers look like and
asked again; the request (status, cancel, return…) is kept, and nothing is checked or counted:
a malformed number is not a guess at a real order (``foreign_number``).
"""

import logging
import re
import time
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import customers as customer_actions
from actions.base import (
    SebaAction,
    SebaFormValidationAction,
    language,
    latest_entity_values,
    latest_text,
    slot_int,
    utter,
)
from seba import i18n, verification
from seba.db.demo_data import TRACKING_FORMAT
from seba.text import (
    ORDER_NUMBER_DIGITS,
    find_phones,
    normalize_order_number,
    normalize_phone,
    to_ascii_digits,
)

logger = logging.getLogger(__name__)

NOT_OURS, TRACKING_CODE = "not_ours", "tracking_code"
NOT_OURS_RESPONSE = "utter_order_number_not_ours"
TRACKING_CODE_RESPONSE = "utter_order_number_is_tracking_code"
# Our couriers' tracking codes (prefix + digits, as the shop's orders carry them).
_TRACKING_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?:%s)[\s\-]?\d{4,12}(?!\d)"
    % "|".join(sorted({prefix for prefix, _ in TRACKING_FORMAT.values()}, key=len, reverse=True)),
    re.IGNORECASE,
)
# More digits than our order numbers have: another shop's order id, a parcel number.
_LONG_NUMBER = re.compile(r"(?<!\d)\d{%d,}(?!\d)" % (ORDER_NUMBER_DIGITS[1] + 1))
# A message that is only a number, shorter than ours: a slip ("1045").
_SHORT_NUMBER_ALONE = re.compile(r"\s*#?\s*\d{3,%d}\s*[.!?]?\s*" % (ORDER_NUMBER_DIGITS[0] - 1))


def foreign_number(text: Any, answer: bool = True) -> Optional[str]:
    """``TRACKING_CODE`` or ``NOT_OURS`` when ``text`` holds an order-number-like token that
    cannot be one of this shop's order numbers and no number that can; None otherwise
    (one of ours, a phone, no number at all). A short number alone ("1045") counts only as
    the ``answer`` to the form's question."""
    if not isinstance(text, str) or not text.strip():
        return None
    ascii_text = to_ascii_digits(text)
    codes = _TRACKING_CODE.findall(ascii_text)
    rest = _TRACKING_CODE.sub(" ", ascii_text)
    if normalize_order_number(rest):
        return None  # one of ours is there as well: it is checked as usual
    if codes:
        return TRACKING_CODE
    for start, end, _ in find_phones(rest):
        rest = rest[:start] + " " * (end - start) + rest[end:]
    if _LONG_NUMBER.search(rest) or (answer and _SHORT_NUMBER_ALONE.fullmatch(rest)):
        return NOT_OURS
    return None


def say_not_ours(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str) -> None:
    """What our order numbers look like, in the customer's digits."""
    low, high = (i18n.number(n, language(tracker)) for n in ORDER_NUMBER_DIGITS)
    digits = f"{low} to {high}" if language(tracker) == "en" else f"{low} থেকে {high}"
    utter(
        dispatcher,
        TRACKING_CODE_RESPONSE if kind == TRACKING_CODE else NOT_OURS_RESPONSE,
        order_number_digits=digits,
    )


def _value_before_this_message(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the customer's latest message (its candidate aside)."""
    events = list(tracker.events or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in reversed(events[: max(last_user, 0)]):
        if event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _order_number(value: Any) -> Optional[str]:
    return normalize_order_number(str(value)) if value else None


def max_attempts() -> int:
    return verification.policy().max_failures_per_conversation


def verified_now(tracker: Tracker) -> bool:
    """The conversation holds a verification that has not gone idle (and, for a change to
    the order, one made with the phone: actions/customers.py)."""
    if (
        tracker.get_slot("verified_by") == customer_actions.VERIFIED_BY_LINK
        and tracker.get_slot("order_task") not in customer_actions.PHONE_FREE_TASKS
    ):
        return False
    return bool(tracker.get_slot("verified_phone")) and verification.still_verified(
        tracker.get_slot("verified_order"), tracker.get_slot("verified_at")
    )


def forget_verification() -> List[EventType]:
    return [
        SlotSet("verified_order", None),
        SlotSet("verified_phone", None),
        SlotSet("verified_at", None),
        SlotSet("verified_by", None),
    ]


class ValidateOrderVerifyForm(SebaFormValidationAction):
    def name(self) -> Text:
        return "validate_order_verify_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("verification_locked"):
            return []  # stop asking: the rules hand over to a person
        if slot_int(tracker, "verification_failures") >= max_attempts():
            return []
        verified = tracker.get_slot("verified_order")
        number = tracker.get_slot("order_number")
        if verified_now(tracker) and (not number or _order_number(number) == verified):
            return []  # this order was verified earlier in the conversation
        if customer_actions.phone_free_customer(tracker) is not None:
            return ["order_number"]  # a recognised customer: no phone to read their order
        return domain_slots

    def validate_order_number(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        # The value is the whole message (the form asked) or an entity of it: the message
        # tells a tracking code from the digits inside it ("PTH 123456").
        text = latest_text(tracker)
        from_message = value == text or value in latest_entity_values(tracker, "order_number")
        kind = foreign_number(text if from_message else str(value))
        if kind:
            before = _order_number(_value_before_this_message(tracker, "order_number"))
            if before and tracker.get_slot("requested_slot") == "phone":
                # A long number given for the phone: the phone's check answers it, and the
                # order number given before stays.
                return {"order_number": before}
            say_not_ours(dispatcher, tracker, kind)
            return {"order_number": None}
        if from_message and not _order_number(value):
            value = text  # an entity of another shop's length beside one of ours
        number = _order_number(value)
        if not number:
            dispatcher.utter_message(response="utter_order_number_invalid")
        return {"order_number": number}

    def validate_phone(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        phone = normalize_phone(str(value)) if value else None
        if not phone:
            dispatcher.utter_message(response="utter_phone_invalid")
        return {"phone": phone}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if (
            "order_number" not in tracker.slots_to_validate()
            and not tracker.get_slot("requested_slot")
            and not tracker.get_slot("order_number")
        ):
            # The form starts ("where is my order 123456789012?") and no order number of
            # ours was found in the message: say why before the form asks for one.
            kind = foreign_number(latest_text(tracker), answer=False)
            if kind and not verified_now(tracker):
                say_not_ours(dispatcher, tracker, kind)
        # Normalise each slot (validate_<slot> above; they update tracker.slots) ...
        events = await super().get_validation_events(dispatcher, tracker, domain)
        # ... then check the pair against the order database.
        return events + self._verify(dispatcher, tracker)

    def _verify(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        number = tracker.slots.get("order_number")
        phone = tracker.slots.get("phone")
        verified = tracker.slots.get("verified_order")
        events: List[EventType] = []
        if verified and (number and number != verified or not verified_now(tracker)):
            # Another order, or the verification went idle: nothing is shown until it is
            # verified (again).
            if not number and customer_actions.read_by_link(tracker):
                # A change to the order a recognised customer just read: only its phone.
                events.append(SlotSet("order_number", verified))
            events += forget_verification()
            verified = None
        if verified:
            return events
        if not phone:
            return events + customer_actions.verify_by_link(tracker)
        if not number:
            return events

        outcome = verification.check(
            number, phone, tracker.sender_id, tracker.get_latest_input_channel()
        )
        if outcome.status == verification.MALFORMED:  # not checked, not counted: ask again
            return events + [SlotSet("order_number", None), SlotSet("phone", None)]
        failures = [SlotSet("verification_failures", float(outcome.conversation_failures))]
        if outcome.status == verification.WAIT:
            # Not checked: keep the order number, ask for the phone again after the wait.
            dispatcher.utter_message(
                response="utter_verification_wait",
                seconds=i18n.number(outcome.wait_seconds, language(tracker)),
            )
            return events + [SlotSet("phone", None)] + failures
        # Checked (or refused): the pair is consumed; a new order number starts afresh.
        events += [SlotSet("order_number", None), SlotSet("phone", None)] + failures
        logger.info(
            "order check in %s: %s (%d failed here)",
            tracker.sender_id,
            outcome.status,
            outcome.conversation_failures,
        )
        if outcome.status == verification.VERIFIED:
            return (
                events
                + [
                    SlotSet("verified_order", outcome.order_number),
                    SlotSet("verified_phone", outcome.phone),
                    SlotSet("verified_at", time.time()),
                ]
                + customer_actions.link_after_check(dispatcher, tracker, outcome.order_number)
            )
        if outcome.status == verification.LOCKED:
            return events + [SlotSet("verification_locked", True)]
        if (
            outcome.status == verification.MISMATCH
            and outcome.conversation_failures < max_attempts()
        ):
            dispatcher.utter_message(response="utter_verification_mismatch")
        return events


class ActionCheckVerification(SebaAction):
    """After order_verify_form: sets `verification` for the rules to branch on."""

    def name(self) -> Text:
        return "action_check_verification"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("verification_locked"):
            outcome = "locked"
        elif verified_now(tracker):
            outcome = "verified"
        elif slot_int(tracker, "verification_failures") >= max_attempts():
            outcome = "failed"
        else:
            # The form ended without a verdict: validation apologised for a database
            # problem already.
            outcome = "unavailable"
        return [SlotSet("verification", outcome), SlotSet("verification_locked", None)]

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("verification", "unavailable"), SlotSet("verification_locked", None)]
