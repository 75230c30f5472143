"""Returning customers: recognised by a linked channel identity (``seba.customers``).

* **Link**: after a successful order check (``validate_order_verify_form``), the
  conversation is linked to the order's customer (``link_after_check``).
* **Recognised**: asking for an order on a linked conversation lists the customer's recent
  orders as buttons instead of asking for a number (``action_ask_order_number``, which
  the form runs to ask for ``order_number``). What still needs the phone:

  - order **status** and **refund status** (reading): no phone. The order must be the
    linked customer's (checked in the database, whatever button or text named it) and not
    locked; a linked customer with exactly one order on its way gets its status at once;
  - **cancelling** and **returning** (changes that cannot be undone): the phone is still
    asked, as for anyone. A Telegram or Messenger account is often shared in a family;
    reading an order's status is harmless, cancelling someone's order is not.

  An order number that is not the linked customer's is checked the ordinary way (number +
  phone): the reply is the same as for a stranger, so nothing is revealed.
* **Forget me**: ``action_forget_me`` (after a clear yes) removes the link.
"""

import datetime as dt
import logging
import time
from typing import Any, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, language, latest_text
from seba import customers, i18n, verification
from seba.db import session_scope
from seba.text import normalize_order_number

logger = logging.getLogger(__name__)

#: Tasks a linked identity may do without the phone (see the module docstring).
PHONE_FREE_TASKS = ("status", "refund")
VERIFIED_BY_LINK, VERIFIED_BY_PHONE = "link", "phone"


def session_started_at(tracker: Tracker) -> Optional[dt.datetime]:
    """When the conversation's current Rasa session began (shop-local), if the tracker says."""
    for event in reversed(list(tracker.events or [])):
        if event.get("event") in ("session_started", "restart"):
            return customers.from_epoch(event.get("timestamp"))
    return None


def recognised(tracker: Tracker) -> Optional[int]:
    """The customer this conversation is linked to (web: in this session only), or None."""
    return customers.linked_customer(tracker.sender_id, session_started_at(tracker))


def phone_free_customer(tracker: Tracker) -> Optional[int]:
    """The linked customer, when the order in question can be verified by the link alone:
    a reading task, no phone given, and no order number yet or one of theirs, not locked."""
    if tracker.slots.get("phone") or tracker.get_slot("order_task") not in PHONE_FREE_TASKS:
        return None
    customer = recognised(tracker)
    if customer is None:
        return None
    number = tracker.slots.get("order_number")
    if number and not _usable(customer, number):
        return None
    return customer


def read_by_link(tracker: Tracker) -> bool:
    """The conversation holds a current verification made by the link (a read)."""
    return tracker.get_slot("verified_by") == VERIFIED_BY_LINK and verification.still_verified(
        tracker.get_slot("verified_order"), tracker.get_slot("verified_at")
    )


def _usable(customer: int, number: Any) -> Optional[str]:
    phone = customers.owned_order_phone(customer, str(number))
    if phone is None:
        return None
    with session_scope() as session:
        if verification.is_locked(session, str(number)):
            return None  # a lock holds for everyone: a person helps
    return phone


def verify_by_link(tracker: Tracker) -> List[EventType]:
    """Events that verify the order by the link, or [] when it cannot (see the docstring)."""
    customer = phone_free_customer(tracker)
    if customer is None:
        return []
    number = tracker.slots.get("order_number") or customers.single_active_order(customer)
    phone = _usable(customer, number) if number else None
    if not phone:
        return []
    logger.info("order check in %s: verified by the linked identity", tracker.sender_id)
    return [
        SlotSet("order_number", None),
        SlotSet("verified_order", normalize_order_number(str(number))),
        # The phone on the order, from the database (never shown): the task actions re-read
        # the order by number + phone as after any verification.
        SlotSet("verified_phone", phone),
        SlotSet("verified_at", time.time()),
        SlotSet("verified_by", VERIFIED_BY_LINK),
    ]


def link_after_check(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_number: str
) -> List[EventType]:
    """After a successful number + phone check: link the conversation to the customer."""
    linked = customers.link(tracker.sender_id, order_number)
    if linked is not None and linked.replaced_customer_id is not None:
        # Never replaced silently: the latest proof wins, and the customer is told.
        dispatcher.utter_message(response="utter_customer_relinked")
    return [SlotSet("verified_by", VERIFIED_BY_PHONE)]


def order_button(order: customers.OrderSummary, lang: str) -> dict:
    title = " · ".join(
        [
            f"#{order.number}",
            i18n.date(order.placed_at, lang),
            i18n.status(order.status, lang),
            i18n.money(order.total, lang),
        ]
    )
    return {"title": title, "payload": '/inform{"order_number": "%s"}' % order.number}


class ActionAskOrderNumber(SebaAction):
    """How order_verify_form asks for the order number: a recognised customer picks one of
    their recent orders; anyone else is asked to type it."""

    def name(self) -> Text:
        return "action_ask_order_number"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        customer = recognised(tracker)
        orders = customers.recent_orders(customer) if customer is not None else []
        if orders:
            with session_scope() as session:  # a locked order shows nothing, not even here
                orders = [o for o in orders if not verification.is_locked(session, o.number)]
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_number")
            return []
        lang = language(tracker)
        dispatcher.utter_message(
            response="utter_ask_order_from_list",
            buttons=[order_button(order, lang) for order in orders],
        )
        return []

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return []


class ActionForgetMe(SebaAction):
    """After utter_confirm_forget_me and a yes: remove what lets the bot recognise them."""

    def name(self) -> Text:
        return "action_forget_me"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from actions.orders import clear_yes

        if not clear_yes(latest_text(tracker)):
            dispatcher.utter_message(response="utter_forget_me_kept")
            return []
        was_linked = customers.forget(tracker.sender_id)
        logger.info(
            "conversation %s asked to be forgotten (linked: %s)", tracker.sender_id, was_linked
        )
        dispatcher.utter_message(response="utter_forgotten")
        return [
            SlotSet(name, None)
            for name in (
                "verified_order",
                "verified_phone",
                "verified_at",
                "verified_by",
                "order_number",
                "phone",
            )
        ]
