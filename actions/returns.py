"""Returns after verification: eligibility, the reason (return_reason_form), the request."""

import re
import unicodedata
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import (
    SebaAction,
    SebaFormValidationAction,
    language,
    latest_entity_values,
    latest_text,
    load_verified_order,
    settings,
    utter,
    verification_used,
)
from actions.handoff import hand_over, rating_due_events
from actions.orders import order_values
from seba import i18n, shop
from seba.db import session_scope
from seba.db.models import RETURN_REASONS

PREPAID_METHODS = ("bkash", "nagad", "card")
# Answers without a reason the bot can understand before a person takes over the return.
MAX_REASON_ATTEMPTS = 3

# Free-text reasons, checked in this order (the most specific reason first: "pochondo
# hoy nai, size choto" is a size problem). Bangla keywords match anywhere in a word
# (suffixes like -টা, -টি attach to it); Latin ones at the start of a word.
REASON_KEYWORDS: List[Tuple[str, List[str]]] = [
    (
        "wrong_size_or_colour",
        [
            # Bangla
            "সাইজ",
            "মাপ",
            "ছোট",
            "বড়",
            "বড়",
            "টাইট",
            "ঢিলা",
            "ঢোলা",
            "লুজ",
            "ফিট",
            "লম্বা",
            "খাটো",
            "রং",
            "রঙ",
            "কালার",
            # English / Banglish
            "size",
            "saiz",
            "choto",
            "soto",
            "chhoto",
            "boro",
            "tight",
            "loose",
            "dhila",
            "fit",
            "lomba",
            "khato",
            "small",
            "big",
            "large",
            "colour",
            "color",
            "rong",
            "rang",
            "kalar",
        ],
    ),
    (
        "damaged",
        [
            "ছেঁড়া",
            "ছেড়া",
            "ছিঁড়",
            "ছিড়",
            "ফাটা",
            "ফেটে",
            "ভাঙা",
            "ভাঙ্গা",
            "ভেঙে",
            "ভেঙ্গে",
            "নষ্ট",
            "দাগ",
            "ত্রুটি",
            "ডিফেক্ট",
            "ফুটো",
            "ছিদ্র",
            "সেলাই",
            "কাজ করে না",
            "কাজ করছে না",
            "chera",
            "chhera",
            "cheda",
            "chira",
            "fata",
            "phata",
            "fete",
            "vanga",
            "bhanga",
            "venge",
            "nosto",
            "nsto",
            "dag",
            "defect",
            "damage",
            "broken",
            "torn",
            "tear",
            "faulty",
            "hole",
            "stain",
            "selai",
            "not working",
            "kaj kore na",
        ],
    ),
    (
        "not_as_described",
        [
            "ছবি",
            "বর্ণনা",
            "আলাদা",
            "অন্যরকম",
            "ভিন্ন",
            "নকল",
            "কোয়ালিটি",
            "মান খারাপ",
            "ভুল পণ্য",
            "ভুল প্রোডাক্ট",
            "অন্য পণ্য",
            "অন্য প্রোডাক্ট",
            "কাপড় পাতলা",
            "কাপড় খারাপ",
            "chobi",
            "picture",
            "photo",
            "pic",
            "described",
            "description",
            "different",
            "alada",
            "vinno",
            "bhinno",
            "onnorokom",
            "fake",
            "nokol",
            "quality",
            "kwality",
            "wrong item",
            "wrong product",
            "vul product",
            "bhul product",
            "patla",
            "expected",
            "আশা করেছিলাম",
            "ভেবেছিলাম",
            "asha korsilam",
            "vabsilam",
            "bhebechilam",
        ],
    ),
    (
        "changed_mind",
        [
            "পছন্দ",
            "লাগবে না",
            "দরকার নেই",
            "দরকার নাই",
            "মত পাল্ট",
            "মন পাল্ট",
            "মত বদল",
            "মন বদল",
            "pochondo",
            "pochhondo",
            "posondo",
            "pocondo",
            "pochando",
            "lagbe na",
            "lagbena",
            "dorkar nai",
            "dorkar nei",
            "changed my mind",
            "change my mind",
            "mind change",
            "don't like",
            "dont like",
            "do not like",
            "don't need",
            "dont need",
            "no longer need",
        ],
    ),
]
_FOLD = str.maketrans({"ী": "ি", "ূ": "ু", "\u200c": None, "\u200d": None, "’": "'"})


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").translate(_FOLD).lower()


def _keyword_pattern(keyword: str) -> str:
    keyword = re.escape(_fold(keyword))
    return keyword if re.search(r"[\u0980-\u09FF]", keyword) else rf"(?<![a-z]){keyword}"


_REASON_PATTERNS = [
    (code, re.compile("|".join(_keyword_pattern(k) for k in keywords)))
    for code, keywords in REASON_KEYWORDS
]


def reason_from_text(text: Optional[str]) -> Optional[str]:
    """A return reason code from the customer's words (Bangla, English or Banglish)."""
    if not text:
        return None
    folded = _fold(text)
    if folded.strip() in RETURN_REASONS:
        return folded.strip()
    for code, pattern in _REASON_PATTERNS:
        if pattern.search(folded):
            return code
    return None


def not_returnable_reply(order: Any, check: Any, lang: str) -> Tuple[str, Dict[str, str]]:
    """Why the order cannot be returned (a ReturnCheck reason), with the facts."""
    values = order_values(order, lang)
    if check.reason == "cancelled":
        return "utter_return_order_cancelled", values
    if check.reason == "already_requested":
        if order.return_requests:
            request = order.return_requests[-1]
            values.update(
                reference=request.reference,
                return_status=i18n.return_status(request.status, lang),
            )
            return "utter_return_already_requested", values
        return "utter_order_status_returned", values
    if check.reason == "window_passed" and values["delivered_date"]:
        return "utter_return_window_passed", values
    if check.reason == "not_returnable":
        values["items"] = shop.order_items_text(order, lang)
        return "utter_return_not_returnable", values
    if check.reason == "not_delivered":
        return "utter_return_not_delivered", values
    return "utter_order_status_generic", values


class ActionReturnCheck(SebaAction):
    def name(self) -> Text:
        return "action_return_check"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = language(tracker)
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            check = shop.return_eligibility(session, order, settings())
            if check.eligible:
                days_left = check.days_left or 0
                response = "utter_return_eligible" if days_left else "utter_return_last_day"
                values = {
                    "order_number": order.number,
                    "days_left": i18n.number(days_left, lang),
                }
            else:
                response, values = not_returnable_reply(order, check, lang)
        utter(dispatcher, response, **values)
        return [SlotSet("return_eligible", check.eligible)] + verification_used()

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("return_eligible", False)]


# Intents answered by a rule when the message names no reason: the form steps aside
# (the rule answers, then the form asks again) or, for "no", the rules stop it.
STEP_ASIDE_INTENTS = {
    "faq",
    "return_policy",
    "product_info",
    "bot_challenge",
    "greet",
    "thank",
    "deny",
}


class ValidateReturnReasonForm(SebaFormValidationAction):
    """Buttons send the reason code; the customer's own words are mapped by keywords.

    The form takes free text whatever the NLU intent was (only a request for a person,
    a complaint or goodbye end it): a reason worded like a question or a "no" is still
    a reason ("size chart onujayi choto", "pochondo hoy nai"). Only a message with no
    reason in it and a digression intent is handed back to the rules.

    After ``MAX_REASON_ATTEMPTS`` answers without a reason the form stops asking
    (``return_failed``) and ``action_create_return`` hands the return to a person.
    """

    def name(self) -> Text:
        return "validate_return_reason_form"

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("return_failed"):
            return []  # stop asking: action_create_return hands over to a person
        return domain_slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        candidates = tracker.slots_to_validate()
        if "return_reason" not in candidates:
            return []
        value = candidates["return_reason"]
        text = latest_text(tracker)
        typed = text if text and not text.startswith("/") else None
        if value in RETURN_REASONS:
            # A button, or an entity in the customer's own words (kept as details).
            from_message = value in latest_entity_values(tracker, "return_reason")
            details = typed if from_message else None
            return [SlotSet("return_reason", value), SlotSet("return_details", details)]
        code = reason_from_text(str(value or ""))
        if code:
            return [SlotSet("return_reason", code), SlotSet("return_details", str(value))]
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent in STEP_ASIDE_INTENTS:
            return [SlotSet("return_reason", None), ActionExecutionRejected(self.form_name())]
        if _unclear_so_far(tracker) + 1 >= MAX_REASON_ATTEMPTS:
            return [SlotSet("return_reason", None), SlotSet("return_failed", True)]
        dispatcher.utter_message(response="utter_return_reason_unclear")
        return [SlotSet("return_reason", None)]


def _unclear_so_far(tracker: Tracker) -> int:
    """How often the form said it did not understand the reason since it asked first."""
    count = 0
    for event in reversed(tracker.events or []):
        if event.get("event") == "action" and event.get("name") == "action_return_check":
            break
        if event.get("event") == "bot":
            if (event.get("metadata") or {}).get("utter_action") == "utter_return_reason_unclear":
                count += 1
    return count


class ActionCreateReturn(SebaAction):
    """After return_reason_form: record the request, then reference + next steps."""

    def name(self) -> Text:
        return "action_create_return"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = [SlotSet("return_reason", None), SlotSet("return_details", None)]
        reason = tracker.get_slot("return_reason")
        if reason not in RETURN_REASONS and tracker.get_slot("return_failed"):
            # The reason was not understood MAX_REASON_ATTEMPTS times: a person takes over.
            dispatcher.utter_message(response="utter_return_needs_person")
            return (
                events
                + [SlotSet("return_failed", None)]
                + hand_over(dispatcher, tracker, reason="repeated_failure")
            )
        if reason not in RETURN_REASONS:
            # The form ended without a reason: its validation apologised already.
            return events
        lang = language(tracker)
        shop_settings = settings()
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            check = shop.return_eligibility(session, order, shop_settings)
            if not check.eligible:  # changed since we checked
                response, values = not_returnable_reply(order, check, lang)
            else:
                request = shop.create_return_request(
                    session,
                    order,
                    reason,
                    tracker.get_slot("return_details"),
                    sender_id=tracker.sender_id,
                    channel=tracker.get_latest_input_channel(),
                    settings=shop_settings,
                )
                template_vars = shop_settings.template_vars(lang)
                values = {
                    "reference": request.reference,
                    "pickup_days": template_vars.get(f"delivery_days_{order.delivery_area}")
                    or template_vars["delivery_days_outside_dhaka"],
                }
                if order.payment_method in PREPAID_METHODS:
                    response = "utter_return_created"
                    values["refund_method"] = i18n.payment(order.payment_method, lang)
                else:
                    response = "utter_return_created_cod"
        # Said only after the transaction committed.
        utter(dispatcher, response, **values)
        if response in ("utter_return_created", "utter_return_created_cod"):
            events += rating_due_events(tracker)  # solved: ask for a rating at the next thanks
        return events + verification_used()
