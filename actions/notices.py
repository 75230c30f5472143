"""Order updates in the conversation (seba/notices; docs/customer-updates.md).

``action_order_update`` runs for the ``EXTERNAL_*`` intents the notice deliverer triggers.
It says nothing unless the notice in the shop database is for this very conversation and
this order (so a trigger from anywhere else — the HTTP API, a forged event — cannot show an
order to a conversation that did not prove it). Texts are domain responses, in the
conversation's language (SebaNLG); the courier's own note is extra detail, never instead.
"""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, latest_entity_values, utter

logger = logging.getLogger(__name__)

NOTICE_INTENTS = ("EXTERNAL_order_update", "EXTERNAL_delivery_failed")
STAGE_RESPONSES = {
    "picked_up": "utter_order_update_picked_up",
    "out_for_delivery": "utter_order_update_out_for_delivery",
    "delivered": "utter_order_update_delivered",
    "returned": "utter_order_update_returned",
    "failed_attempt": "utter_order_update_failed_attempt",
    "delivered_check": "utter_delivered_check",
}
#: Author of the notes the bot writes for the shop (handoff CustomerNote).
NOTE_AUTHOR = "Seba"
MAX_NOTE_CHARS = 500


def _first(tracker: Tracker, entity: str) -> Optional[str]:
    values = latest_entity_values(tracker, entity)
    return str(values[0]) if values else None


def notice_for(conversation_id: str, notice_id: Any, order_number: Any) -> Optional[Dict]:
    """The notice behind a trigger, if it is this conversation's and this order's."""
    from seba.db import session_scope
    from seba.db.models import Order, OrderNotice

    try:
        wanted = int(str(notice_id))
    except (TypeError, ValueError):
        return None
    with session_scope() as session:
        notice = session.get(OrderNotice, wanted)
        if notice is None or notice.conversation_id != conversation_id:
            return None
        order = session.get(Order, notice.order_id)
        if order is None or order.number != str(order_number):
            return None
        kind = notice.kind
        return {
            "stage": notice.stage if kind == "stage" else kind,
            "order_number": order.number,
            "courier": order.courier or "",
        }


class ActionOrderUpdate(SebaAction):
    def name(self) -> Text:
        return "action_order_update"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        intent = (tracker.latest_message or {}).get("intent", {}).get("name")
        notice = None
        if intent in NOTICE_INTENTS:
            notice = notice_for(
                tracker.sender_id, _first(tracker, "notice_id"), _first(tracker, "notice_order")
            )
        if notice is None or notice["stage"] not in STAGE_RESPONSES:
            logger.warning(
                "order update for %s refused: no such notice for this conversation",
                tracker.sender_id,
            )
            return []
        number, stage = notice["order_number"], notice["stage"]
        utter(dispatcher, STAGE_RESPONSES[stage], order_number=number, courier=notice["courier"])
        detail = (_first(tracker, "notice_detail") or "").strip()
        if detail and stage != "delivered_check":
            utter(dispatcher, "utter_order_update_courier_note", detail=detail)
        if stage == "failed_attempt":
            return [SlotSet("delivery_time_order", number), SlotSet("delivery_time", None)]
        return []


class ActionRecordDeliveryTime(SebaAction):
    """The customer's answer to a failed attempt, kept as a note for the shop to pass on."""

    def name(self) -> Text:
        return "action_record_delivery_time"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from handoff.db import session_scope as handoff_session
        from handoff.models import CustomerNote
        from seba.db import session_scope
        from seba.db.models import Order

        number = tracker.get_slot("delivery_time_order")
        text = str(tracker.get_slot("delivery_time") or "").strip()[:MAX_NOTE_CHARS]
        if number and text:
            with session_scope() as session:
                order = session.query(Order).filter(Order.number == str(number)).one_or_none()
                customer_id = order.customer_id if order is not None else None
            with handoff_session() as session:
                session.add(
                    CustomerNote(
                        conversation_id=tracker.sender_id,
                        customer_id=customer_id,
                        kind="delivery_time",
                        body=text,
                        author=NOTE_AUTHOR,
                        order_number=str(number),
                    )
                )
            dispatcher.utter_message(response="utter_delivery_time_noted")
        return [SlotSet("delivery_time_order", None), SlotSet("delivery_time", None)]

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("delivery_time_order", None), SlotSet("delivery_time", None)]


class ActionStopNotices(SebaAction):
    def name(self) -> Text:
        return "action_stop_notices"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from seba.notices import outbox

        outbox.set_stopped(tracker.sender_id, True)
        dispatcher.utter_message(response="utter_notices_stopped")
        return []


class ActionStartNotices(SebaAction):
    def name(self) -> Text:
        return "action_start_notices"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from seba.notices import outbox

        outbox.set_stopped(tracker.sender_id, False)
        dispatcher.utter_message(response="utter_notices_started")
        return []
