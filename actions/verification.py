"""Order verification: ``order_verify_form`` (order number + phone) and its outcome.

An order is shown only to someone who gives its number and the phone number on it.
A mismatch reveals nothing about which part was wrong; after
``MAX_VERIFICATION_ATTEMPTS`` mismatches the form stops asking and the rules offer a
person. Once verified, the order number is kept in ``verified_order`` so a second task
about the same order does not ask again; a different order number verifies afresh.
"""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, SebaFormValidationAction, slot_int
from seba import shop
from seba.db import session_scope
from seba.text import normalize_order_number, normalize_phone

logger = logging.getLogger(__name__)

MAX_VERIFICATION_ATTEMPTS = 3


def _order_number(value: Any) -> Optional[str]:
    return normalize_order_number(str(value)) if value else None


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
        if slot_int(tracker, "verification_failures") >= MAX_VERIFICATION_ATTEMPTS:
            return []  # stop asking: the rules hand over to a person
        verified = tracker.get_slot("verified_order")
        number = tracker.get_slot("order_number")
        if verified and (not number or _order_number(number) == verified):
            return []  # this order was verified earlier in the conversation
        return domain_slots

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        number = _order_number(value)
        if not number:
            dispatcher.utter_message(response="utter_order_number_invalid")
        return {"order_number": number}

    def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        phone = normalize_phone(str(value)) if value else None
        if not phone:
            dispatcher.utter_message(response="utter_phone_invalid")
        return {"phone": phone}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        # Normalise each slot (validate_<slot> above; they update tracker.slots) ...
        events = await super().get_validation_events(dispatcher, tracker, domain)
        # ... then check the pair against the order database.
        return events + self._verify(dispatcher, tracker)

    def _verify(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        number = tracker.slots.get("order_number")
        phone = tracker.slots.get("phone")
        verified = tracker.slots.get("verified_order")
        events: List[EventType] = []
        if verified and number and number != verified:
            # A different order: nothing is shown until it is verified too.
            events += [SlotSet("verified_order", None), SlotSet("verified_phone", None)]
            verified = None
        if verified or not (number and phone):
            return events

        failures = slot_int(tracker, "verification_failures")
        if failures >= MAX_VERIFICATION_ATTEMPTS:
            return events
        with session_scope() as session:
            matched = shop.verify_order(session, number, phone) is not None

        # Either way the pair is consumed: a new order number starts a new check.
        events += [SlotSet("order_number", None), SlotSet("phone", None)]
        if matched:
            logger.info("order %s verified in conversation %s", number, tracker.sender_id)
            return events + [
                SlotSet("verified_order", number),
                SlotSet("verified_phone", phone),
                SlotSet("verification_failures", 0.0),
            ]
        failures += 1
        logger.info(
            "order/phone mismatch %d/%d in conversation %s",
            failures, MAX_VERIFICATION_ATTEMPTS, tracker.sender_id,
        )
        if failures < MAX_VERIFICATION_ATTEMPTS:
            dispatcher.utter_message(response="utter_verification_mismatch")
        return events + [SlotSet("verification_failures", float(failures))]


class ActionCheckVerification(SebaAction):
    """After order_verify_form: sets `verification` for the rules to branch on."""

    def name(self) -> Text:
        return "action_check_verification"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if tracker.get_slot("verified_order") and tracker.get_slot("verified_phone"):
            outcome = "verified"
        elif slot_int(tracker, "verification_failures") >= MAX_VERIFICATION_ATTEMPTS:
            outcome = "failed"
        else:
            # The form ended without a verdict: validation apologised for a database
            # problem already.
            outcome = "unavailable"
        return [SlotSet("verification", outcome)]

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("verification", "unavailable")]
