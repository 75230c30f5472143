"""Order tasks after verification: status, cancellation, refund status."""

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import (
    SebaAction,
    SebaFormValidationAction,
    language,
    latest_text,
    load_verified_order,
    settings,
    utter,
    verification_used,
)
from actions.handoff import rating_due_events
from seba import i18n, shop
from seba.db import session_scope

# Status -> (response, values it needs; without them the generic status reply is used).
STATUS_RESPONSES: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "placed": ("utter_order_status_placed", ("expected_date",)),
    "confirmed": ("utter_order_status_confirmed", ("expected_date",)),
    "packed": ("utter_order_status_packed", ("expected_date",)),
    "shipped": ("utter_order_status_shipped", ("courier", "tracking_code", "expected_date")),
    "out_for_delivery": ("utter_order_status_out_for_delivery", ("courier", "tracking_code")),
    "delivered": ("utter_order_status_delivered", ("delivered_date",)),
    "cancelled": ("utter_order_status_cancelled", ()),
    "returned": ("utter_order_status_returned", ()),
}


def order_values(order: Any, lang: str) -> Dict[str, str]:
    """An order's facts formatted for a reply in ``lang``."""
    return {
        "order_number": order.number,
        "status": i18n.status(order.status, lang),
        "courier": order.courier or "",
        "tracking_code": order.tracking_code or "",
        "expected_date": i18n.date(order.expected_delivery, lang),
        "delivered_date": i18n.date(order.delivered_at, lang),
    }


def status_reply(order: Any, lang: str) -> Tuple[str, Dict[str, str]]:
    values = order_values(order, lang)
    response, needed = STATUS_RESPONSES.get(order.status, ("", ("-",)))
    if not response or any(not values.get(key) for key in needed):
        response = "utter_order_status_generic"
    return response, values


def cannot_cancel_reply(order: Any, lang: str) -> Tuple[str, Dict[str, str]]:
    """Why this order can no longer be cancelled, and what the customer can do instead."""
    values = order_values(order, lang)
    if order.status == "cancelled":
        return "utter_cancel_already_cancelled", values
    if order.status == "delivered" and values["delivered_date"]:
        return "utter_cancel_too_late_delivered", values
    if order.status in ("returned", "delivered"):
        return "utter_cancel_not_possible", values
    return "utter_cancel_too_late", values  # packed, shipped, out for delivery


def refund_method(refund: Any, lang: str) -> str:
    method = i18n.payment(refund.method, lang)
    return f"{method} {refund.account}" if refund.account else method


class ActionOrderStatus(SebaAction):
    def name(self) -> Text:
        return "action_order_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = language(tracker)
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            response, values = status_reply(order, lang)
        utter(dispatcher, response, **values)
        # Answered: ask for a rating at the next thanks.
        return rating_due_events(tracker) + verification_used()


class ActionCancelCheck(SebaAction):
    """Cancellable (shop.yml cancellable_statuses) -> confirm; else explain why not."""

    def name(self) -> Text:
        return "action_cancel_check"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = language(tracker)
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            if shop.can_cancel(order, settings()):
                return [
                    SlotSet("cancel_allowed", True),
                    SlotSet("cancel_confirmed", None),
                ] + verification_used()
            response, values = cannot_cancel_reply(order, lang)
        utter(dispatcher, response, **values)
        return [SlotSet("cancel_allowed", False)] + verification_used()

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("cancel_allowed", False)]


class ActionCancelOrder(SebaAction):
    """After cancel_confirm_form: cancel on yes (written to the DB), keep on no."""

    def name(self) -> Text:
        return "action_cancel_order"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = [SlotSet("cancel_confirmed", None)]
        if tracker.get_slot("cancel_confirmed") is not True:
            dispatcher.utter_message(response="utter_cancel_kept")
            return events
        lang = language(tracker)
        refund: Optional[Dict[str, str]] = None
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            if not shop.can_cancel(order, settings()):  # changed since we asked
                response, values = cannot_cancel_reply(order, lang)
            else:
                existing = {r.id for r in order.refunds}
                shop.cancel_order(session, order, settings())
                new = [r for r in order.refunds if r.id not in existing]
                response, values = "utter_order_cancelled", {"order_number": order.number}
                if new:
                    response = "utter_order_cancelled_refund"
                    refund = {
                        "amount": i18n.money(new[-1].amount, lang),
                        "refund_method": refund_method(new[-1], lang),
                    }
        # Said only after the transaction committed.
        utter(dispatcher, response, **values, **(refund or {}))
        return events + verification_used()


class ActionRefundStatus(SebaAction):
    def name(self) -> Text:
        return "action_refund_status"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        lang = language(tracker)
        with session_scope() as session:
            order = load_verified_order(session, tracker)
            refund = shop.latest_refund(session, order)
            values = {"order_number": order.number}
            if refund is None:
                response = "utter_no_refund"
            else:
                values.update(
                    amount=i18n.money(refund.amount, lang),
                    refund_method=refund_method(refund, lang),
                    refund_status=i18n.refund_status(refund.status, lang),
                    expected_date=i18n.date(refund.expected_by, lang),
                    completed_date=i18n.date(refund.completed_at, lang),
                )
                if refund.status == "completed" and values["completed_date"]:
                    response = "utter_refund_completed"
                elif values["expected_date"]:
                    response = "utter_refund_status"
                else:
                    response = "utter_refund_status_no_date"
        utter(dispatcher, response, **values)
        return verification_used()


# A cancellation is written only on a clear yes: the button, or words that say yes or
# "cancel". NLU may read "hmm, ektu vabi" (let me think) as affirm.
_CLEAR_YES = re.compile(
    r"(?<![a-z])(?:yes|yeah|yep|yup|sure|ok|okay|confirm|go ahead|cancel|ha|haa|hae|hya|han"
    r"|haan|ji|jee|jii|thik ache|obosshoi|oboshoi|batil|koren|korun|kore den|kore din)(?![a-z])"
    r"|হ্যাঁ|হ্যা|হাঁ|জি|জ্বি|ঠিক আছে|অবশ্যই|বাতিল|ক্যানসেল|ক্যান্সেল|করুন|করেন|করে দিন|করে দেন",
    re.IGNORECASE,
)


def clear_yes(text: str) -> bool:
    return text.strip().startswith("/affirm") or bool(_CLEAR_YES.search(text or ""))


class ValidateCancelConfirmForm(SebaFormValidationAction):
    def name(self) -> Text:
        return "validate_cancel_confirm_form"

    def validate_cancel_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        if value is True and not clear_yes(latest_text(tracker)):
            dispatcher.utter_message(response="utter_cancel_confirm_unclear")
            return {"cancel_confirmed": None}
        return {"cancel_confirmed": value}
