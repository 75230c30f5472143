"""What every Seba action shares: reply language, shop settings, and error handling.

Error handling lives here once: an action (or form validation) that hits
``ShopUnavailable`` or any unexpected exception logs it with its stack trace, drops
the messages it had prepared, says ``utter_technical_problem`` (an apology in the
customer's language with the shop's phone number) and returns ``error_events()`` —
events that keep the dialogue rules on a safe branch (e.g. "cannot cancel").
"""

import logging
import time
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from seba.db import ShopUnavailable
from seba.language import BN, EN, LANGUAGE_SLOT, language_for_tracker
from seba.settings import Settings, load_settings

logger = logging.getLogger(__name__)

TECHNICAL_PROBLEM = "utter_technical_problem"
REQUESTED_SLOT = "requested_slot"


class NotVerified(RuntimeError):
    """A task action ran without a current verification (it went idle, or the order was
    locked since): the customer is asked to verify again."""


class Guarded:
    """Mixin: run the action's work, apologise instead of failing."""

    def name(self) -> Text:  # pragma: no cover - provided by the action classes
        raise NotImplementedError

    def error_events(self, tracker: Tracker) -> List[EventType]:
        """Events returned after a failure. Default: none."""
        return []

    async def _guarded(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        work: Callable[[], Awaitable[List[EventType]]],
    ) -> List[EventType]:
        already_sent = len(dispatcher.messages)
        try:
            return await work()
        except NotVerified as reason:
            logger.info("%s: %s", self.name(), reason)
            del dispatcher.messages[already_sent:]
            dispatcher.utter_message(response="utter_verification_expired")
            return self.error_events(tracker) + [
                SlotSet("verified_order", None),
                SlotSet("verified_phone", None),
                SlotSet("verified_at", None),
            ]
        except ShopUnavailable:
            logger.exception("%s: the shop database is unavailable", self.name())
        except Exception:  # noqa: BLE001 - the customer must get an answer, not silence
            logger.exception("%s failed", self.name())
        del dispatcher.messages[already_sent:]
        dispatcher.utter_message(response=TECHNICAL_PROBLEM)
        return self.error_events(tracker)


class SebaAction(Guarded, Action, ABC):
    """Base for custom actions: implement ``act`` instead of ``run``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        return await self._guarded(
            dispatcher, tracker, lambda: self.act(dispatcher, tracker, domain)
        )

    @abstractmethod
    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """The action's work (errors are handled by ``run``)."""


class SebaFormValidationAction(Guarded, FormValidationAction, ABC):
    """Base for form validation: a failure apologises and ends the form."""

    @abstractmethod
    def name(self) -> Text:
        """validate_<form name>"""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        parent = super()
        return await self._guarded(
            dispatcher, tracker, lambda: parent.run(dispatcher, tracker, domain)
        )

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet(REQUESTED_SLOT, None)]


def language(tracker: Tracker) -> str:
    """The reply language ("bn" or "en") for this conversation: as the Rasa server worked it
    out from the whole conversation (seba.runtime sends it in the ``language`` slot; the
    events the action gets may start after the customer's last decisive message), else
    from the events."""
    sent = tracker.get_slot(LANGUAGE_SLOT)
    return sent if sent in (BN, EN) else language_for_tracker(tracker)


def settings() -> Settings:
    return load_settings()


def slot_int(tracker: Tracker, name: str) -> int:
    try:
        return int(float(tracker.get_slot(name) or 0))
    except (TypeError, ValueError):
        return 0


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_entity_values(tracker: Tracker, entity: str) -> List[Any]:
    return [
        e.get("value")
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == entity and e.get("value")
    ]


def utter(dispatcher: CollectingDispatcher, response: str, **values: Any) -> None:
    """Utter a domain response with values (None values become empty strings)."""
    dispatcher.utter_message(
        response=response, **{k: ("" if v is None else v) for k, v in values.items()}
    )


def load_verified_order(session, tracker: Tracker):
    """The order verified in this conversation, re-read with its number and phone.

    NotVerified when there is none, when it went idle (``idle_minutes``) or when the order
    was locked since: a lock holds even for a conversation that verified before it."""
    from seba import shop, verification

    number = tracker.get_slot("verified_order")
    phone = tracker.get_slot("verified_phone")
    if not verification.still_verified(number, tracker.get_slot("verified_at")):
        raise NotVerified(f"no current verification in conversation {tracker.sender_id}")
    if verification.is_locked(session, number):
        raise NotVerified(f"order {number} is locked")
    order = shop.verify_order(session, number, phone) if phone else None
    if order is None:
        raise NotVerified(f"the verified pair no longer matches in {tracker.sender_id}")
    return order


def verification_used() -> List[EventType]:
    """Returned by actions that used the verified order: its idle time starts again."""
    return [SlotSet("verified_at", time.time())]
