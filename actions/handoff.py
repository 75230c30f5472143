"""Handing the conversation to a person, and the customer's rating afterwards.

``action_handoff`` (rules: the customer asks for a person; "yes" to the offer after a
complaint or after the bot did not understand twice; the order check failed three times; a
third message in a row the bot does not understand) puts the conversation in the agent queue
(``handoff.queue.enqueue``: one open ticket per conversation), tells the customer what happens
next in their language and pauses the bot:

- agents available (within ``hours.agents`` in shop.yml and someone online in the console):
  their place in the queue and the expected wait;
- nobody available (outside agent hours, or nobody online): when the team is back (or that
  nobody is free right now), that the message is kept, and the shop's phone number.

Both ways the conversation is queued and paused: the customer's messages are logged by Rasa
(it predicts nothing while paused, ``MessageProcessor._should_handle_message``) and reach the
agent console; an agent who comes later finds them there. The bot answers again when an agent
hands the conversation back or resolves it (the console resumes it and triggers
``EXTERNAL_handback``: welcome back + rating question), when a waiting customer has been quiet
for ``HANDOFF_ABANDON_AFTER_MINUTES`` of agent hours (the console's sweep resumes it), or when
the conversation's session expires (domain ``session_config``: a new session resets the
tracker, which un-pauses it). See docs/handoff.md.

Ratings: after a hand back the rating belongs to the agent's ticket, otherwise it is a rating
of the bot (``handoff.queue.record_rating`` decides). The bot asks for a rating of its own
work once per conversation, after it solved a task (``rating_due``, set by the task actions via
``rating_due_events``) and the customer says thanks or goodbye (``action_ask_rating``).
"""

import logging
import re
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ConversationPaused,
    EventType,
    SessionStarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, language, utter
from seba.text import to_ascii_digits

logger = logging.getLogger(__name__)

ACTION_LISTEN = "action_listen"
REASONS = (
    "customer_request",
    "low_confidence",
    "repeated_failure",
    "complaint",
    "verification_failed",
    "verification_locked",
)
# Bot actions whose question the customer answered with the handoff ("yes" / a button).
LOW_CONFIDENCE_OFFERS = {"utter_offer_handoff_not_understood", "utter_please_rephrase"}
COMPLAINT_OFFERS = {"utter_complaint"}
# Bot responses that ask for a rating: once one of them was said, the bot does not ask again.
RATING_QUESTIONS = {
    "utter_ask_rating",
    "utter_handback_welcome",
    "utter_rating_unclear",
    "utter_delivered_check",  # the check after a delivery (actions/notices.py)
}
LOW_RATING = 2  # 1-2: apologise and offer a person
TASK_LABELS = {
    "status": "order status",
    "cancel": "cancel an order",
    "return": "a return",
    "refund": "refund status",
}
SUMMARY_QUOTE_CHARS = 120


# --- reading the tracker ---------------------------------------------------------------------


def _session_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """The events of the current conversation session (after the last session start)."""
    events = list(tracker.events or [])
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in ("session_started", "restart"):
            return events[index + 1 :]
    return events


def _user_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [e for e in events if e.get("event") == "user"]


def _intent(event: Dict[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _is_typed(text: Optional[str]) -> bool:
    """A message the customer typed (not a button payload such as ``/human_handoff``)."""
    return bool(text and text.strip() and not text.strip().startswith("/"))


def _this_turn_actions(events: List[Dict[str, Any]]) -> List[str]:
    """Actions run since the customer's latest message (this turn), oldest first."""
    names: List[str] = []
    for event in reversed(events):
        if event.get("event") == "user":
            break
        if event.get("event") == "action" and event.get("name"):
            names.append(event["name"])
    return list(reversed(names))


def _action_before_latest_message(events: List[Dict[str, Any]]) -> Optional[str]:
    """The last bot action before the customer's latest message (what they answered)."""
    seen_user = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None  # two messages in a row: the bot said nothing in between
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") not in (None, ACTION_LISTEN):
            return event["name"]
    return None


def handoff_reason(tracker: Tracker) -> str:
    """Why the bot hands over: one of ``REASONS`` (the agent console shows it)."""
    events = list(tracker.events or [])
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    this_turn = _this_turn_actions(events)
    if "action_check_verification" in this_turn:
        outcome = tracker.get_slot("verification")
        if outcome == "locked":
            return "verification_locked"
        if outcome == "failed":
            return "verification_failed"
    answered = _action_before_latest_message(events)
    # "clarify": the bot asked which of two close guesses was meant (seba/clarify.py).
    if intent in ("nlu_fallback", "clarify") or answered in LOW_CONFIDENCE_OFFERS:
        return "low_confidence"
    if intent == "complaint" or answered in COMPLAINT_OFFERS:
        return "complaint"
    return "customer_request"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > SUMMARY_QUOTE_CHARS:
        text = text[: SUMMARY_QUOTE_CHARS - 1] + "…"
    return f"“{text}”"


def last_customer_message(tracker: Tracker, reason: str) -> Optional[str]:
    """The message the queue shows: what the customer said about their problem.

    A complaint: the complaint, not the "yes" that accepted the offer; not understood: the
    message the bot could not understand; else the latest typed message (button payloads
    such as ``/human_handoff`` say nothing)."""
    users = _user_events(_session_events(tracker))
    wanted = {"complaint": "complaint", "low_confidence": "nlu_fallback"}.get(reason)
    if wanted:
        for event in reversed(users):
            if _intent(event) == wanted and _is_typed(event.get("text")):
                return event["text"]
    for event in reversed(users):
        if _is_typed(event.get("text")):
            return event["text"]
    return None


def handoff_summary(tracker: Tracker, reason: str) -> Optional[str]:
    """A line for the agent: what the bot knew (task, verified order, what went wrong)."""
    users = _user_events(_session_events(tracker))
    parts: List[str] = []
    task = TASK_LABELS.get(tracker.get_slot("order_task") or "")
    verified = tracker.get_slot("verified_order")
    if reason == "verification_failed":
        parts.append(f"Order check failed 3 times ({task or 'order question'}); nothing shown")
    elif reason == "verification_locked":
        parts.append(
            f"Order locked after failed checks ({task or 'order question'}); nothing "
            "shown. Verify the customer another way before lifting the lock"
        )
    elif reason == "repeated_failure":
        parts.append(f"Bot could not finish {task or 'the task'}")
    elif task:
        parts.append(f"Wanted: {task}")
    if verified:
        parts.append(f"order #{verified} verified")
    if reason == "complaint":
        complaints = [
            e["text"] for e in users if _intent(e) == "complaint" and _is_typed(e.get("text"))
        ]
        if complaints:
            parts.append("complaint: " + _quote(complaints[-1]))
    if reason == "low_confidence":
        unclear = [
            e["text"]
            for e in users
            if _intent(e) in ("nlu_fallback", "clarify") and _is_typed(e.get("text"))
        ]
        if unclear:
            parts.append("not understood: " + " / ".join(_quote(t) for t in unclear[-3:]))
    return "; ".join(parts) or None


# --- ratings -----------------------------------------------------------------------------------

_RATING_WORDS = {
    # words customers use instead of the digit (Bangla, Banglish, English)
    "এক": 1,
    "দুই": 2,
    "তিন": 3,
    "চার": 4,
    "পাঁচ": 5,
    "পাচ": 5,
    "ek": 1,
    "dui": 2,
    "tin": 3,
    "char": 4,
    "pach": 5,
    "panch": 5,
    "paach": 5,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
}
_DIGIT = re.compile(r"(?<![\d.,/])([1-5])(?![\d.,])")
_WORD = re.compile(r"[a-z]+|[\u0980-\u09FF]+")


def parse_rating(value: Any) -> Optional[int]:
    """1-5 from an entity value or the customer's words ("৫ দিলাম", "5/5", "five stars")."""
    if value is None:
        return None
    text = to_ascii_digits(str(value)).lower()
    match = _DIGIT.search(text)
    if match:
        return int(match.group(1))
    for word in _WORD.findall(text):
        if word in _RATING_WORDS:
            return _RATING_WORDS[word]
    return None


def rating_already_asked(tracker: Tracker) -> bool:
    """Asked (or given) once in this conversation: the bot does not ask again."""
    if tracker.get_slot("rating_asked"):
        return True
    for event in _session_events(tracker):
        if (
            event.get("event") == "bot"
            and (event.get("metadata") or {}).get("utter_action") in RATING_QUESTIONS
        ):
            return True
        if event.get("event") == "action" and event.get("name") in (
            "action_handoff",
            "action_record_rating",
        ):
            return True  # a person helped (the hand back asks), or a rating was given
    return False


def rating_question_pending(tracker: Tracker) -> bool:
    """The bot's last words before the customer's latest message asked for a rating.

    Ratings are taken only then: a rating "button" typed anywhere else writes nothing."""
    seen_user = False
    for event in reversed(list(tracker.events or [])):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            return (event.get("metadata") or {}).get("utter_action") in RATING_QUESTIONS
    return False


def rating_due_events(tracker: Tracker) -> List[EventType]:
    """For actions that solved the customer's task: ask for a rating at the next thanks or
    goodbye, unless a rating was asked in this conversation already."""
    if rating_already_asked(tracker):
        return []
    return [SlotSet("rating_due", True)]


# --- handing over --------------------------------------------------------------------------------


def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: Optional[str] = None
) -> List[EventType]:
    """Queue the conversation, tell the customer what happens next, pause the bot."""
    from handoff import queue

    lang = language(tracker)
    reason = reason or handoff_reason(tracker)
    result = queue.enqueue(
        tracker.sender_id,
        tracker.get_latest_input_channel(),
        lang,
        reason,
        last_message=last_customer_message(tracker, reason),
        summary=handoff_summary(tracker, reason),
    )
    values = queue.customer_values(result, lang)
    logger.info(
        "handoff of %s (%s): ticket %s, %s, position %s, agents available: %s",
        tracker.sender_id,
        reason,
        result.ticket_id,
        "new" if result.created else "existing",
        result.position,
        result.agents_available,
    )
    if result.state == "assigned":
        ticket = queue.get_ticket(result.ticket_id)
        agent = (ticket.agent_name if ticket else None) or ("একজন" if lang == "bn" else "Someone")
        utter(dispatcher, "utter_handoff_with_agent", agent_name=agent)
    else:
        if not result.created:
            utter(dispatcher, "utter_handoff_still_waiting")
        if result.agents_available:
            response = (
                "utter_handoff_queued_next" if result.position <= 1 else "utter_handoff_queued"
            )
        elif result.agents_back_at is not None:
            response = "utter_handoff_after_hours"
        else:
            response = "utter_handoff_no_agent"
        utter(dispatcher, response, **values)
    return [
        SlotSet("rating_due", False),
        ConversationPaused(),
        # The bot waits for the customer (as after every turn). Without it the turn would end
        # on action_handoff, and after the hand back the rules (written for turns that follow
        # action_listen) would not recognise the next message.
        ActionExecuted(ACTION_LISTEN),
    ]


class ActionHandoff(SebaAction):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        already_sent = len(dispatcher.messages)
        try:
            return hand_over(dispatcher, tracker)
        except Exception:  # noqa: BLE001 - the queue is down: the phone still works
            logger.exception("action_handoff: could not queue %s", tracker.sender_id)
        # Not queued and not paused: the bot keeps answering; the customer can call.
        del dispatcher.messages[already_sent:]
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return []

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:  # pragma: no cover - run() is overridden
        return hand_over(dispatcher, tracker)


class ActionAskRating(SebaAction):
    """After the bot solved a task and the customer thanks or says goodbye: ask once."""

    def name(self) -> Text:
        return "action_ask_rating"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if not rating_already_asked(tracker):
            dispatcher.utter_message(response="utter_ask_rating")
        return [SlotSet("rating_due", False), SlotSet("rating_asked", True)]

    def error_events(self, tracker: Tracker) -> List[EventType]:
        return [SlotSet("rating_due", False), SlotSet("rating_asked", True)]


class ActionRecordRating(SebaAction):
    """Stores the 1-5 rating (on the agent's ticket after a hand back, else as a rating of the
    bot) and thanks the customer."""

    def name(self) -> Text:
        return "action_record_rating"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from handoff import queue

        if not rating_question_pending(tracker):
            logger.info("rating from %s refused: no rating question pending", tracker.sender_id)
            dispatcher.utter_message(response="utter_please_rephrase")
            return [SlotSet("rating_due", False)]
        entities = [
            e.get("value")
            for e in (tracker.latest_message or {}).get("entities") or []
            if e.get("entity") == "rating"
        ]
        text = (tracker.latest_message or {}).get("text")
        rating = next((r for r in map(parse_rating, entities) if r), None) or (
            parse_rating(text) if _is_typed(text) else None
        )
        if rating is None:
            dispatcher.utter_message(response="utter_rating_unclear")
            return [SlotSet("rating_due", False), SlotSet("rating_asked", True)]
        try:
            target = queue.record_rating(tracker.sender_id, rating)
            logger.info("rating %s from %s stored (%s)", rating, tracker.sender_id, target)
        except Exception:  # noqa: BLE001 - a lost rating is not the customer's problem
            logger.exception("could not store the rating of %s", tracker.sender_id)
        response = "utter_rating_thanks_low" if rating <= LOW_RATING else "utter_rating_thanks"
        dispatcher.utter_message(response=response)
        return [SlotSet("rating_due", False), SlotSet("rating_asked", True)]


class ActionSessionStart(Action):
    """A new session (the old one expired): like Rasa's, but a conversation that is with the
    agents stays paused. Rasa's own session start un-pauses it, which would let the bot
    answer over the agent; only the console (hand back, resolve) or the abandon sweep
    releases a handed-over conversation."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        from handoff import queue

        try:
            paused = queue.open_ticket(tracker.sender_id) is not None
        except Exception:  # noqa: BLE001 - the queue cannot be read: keep it as it was
            logger.exception("session start of %s: the queue is unavailable", tracker.sender_id)
            paused = tracker.is_paused()
        pause: List[EventType] = [ConversationPaused()] if paused else []
        return [SessionStarted()] + pause + [ActionExecuted(ACTION_LISTEN)]
