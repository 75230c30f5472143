"""Changes to how the Rasa server runs; ``install()`` applies them (Rasa 3.6.21 only).

0. Customers cannot type the bot's controls: every message goes through
   ``seba.controls.customer_text`` before the NLU (``SebaMessageProcessor``).

1. A failed custom action gets an apology. Out of the box, when the action server
   is down or answers with an error, Rasa logs it and the customer hears nothing.
2. Event types are looked up in a dict. ``Event.resolve_by_type`` walks every
   Event subclass for every event it deserialises, and the tracker store
   deserialises the whole conversation on every message: at turn 100 that was
   most of the time a reply took.
3. The policies see the recent history only. Rasa computes the dialogue state
   for every past turn on every prediction, so a turn costs more the longer the
   conversation. Seba's policies (rules, forms, memoization of 4 turns) look at
   the last few turns; ``recent_history`` gives them the last ``KEEP_USER_TURNS``
   turns plus the slots and active form as they stood before them.
"""

import logging
from typing import Any, Dict, List, Optional, Tuple, Type

from rasa.core import agent as rasa_agent
from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from seba.controls import customer_text

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_technical_problem"
KEEP_USER_TURNS = 8
# Below this many events the full tracker is cheap enough.
MIN_EVENTS_FOR_VIEW = 80


class SebaRemoteAction(rasa_action.RemoteAction):
    """A custom action that apologises in the customer's language when it fails.

    Two costs of Rasa's remote action are cut as well (measured with py-spy under
    load): the action server's answer is checked with a JSON-schema validator built
    once, not rebuilt (and the schema re-checked) on every call; and the request
    carries the recent turns only, not every event of the conversation (slots,
    the active form and the latest message are sent in full as always).
    """

    _validator: Any = None

    def _validate_action_result(self, result: Dict[str, Any]) -> bool:
        from jsonschema import ValidationError, validators

        if SebaRemoteAction._validator is None:
            schema = self.action_response_format_spec()
            SebaRemoteAction._validator = validators.validator_for(schema)(schema)
        try:
            SebaRemoteAction._validator.validate(result)
            return True
        except ValidationError as e:
            e.message += ". Failed to validate Action server response from API."
            raise e

    def _action_call_format(self, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
        call = super()._action_call_format(_without_events(tracker), domain)
        events = list(tracker.events)
        start = _window_start(events, KEEP_USER_TURNS) if len(events) >= MIN_EVENTS_FOR_VIEW else 0
        call["tracker"]["events"] = [e.as_dict() for e in events[start:]]
        return call

    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await super().run(output_channel, nlg, tracker, domain)
        except rasa_action.ActionExecutionRejection:
            raise  # a form's validation said no: Rasa's normal path
        except RasaException:
            logger.exception("Custom action '%s' failed; apologising.", self.name())
            message: Any = await nlg.generate(APOLOGY_RESPONSE, tracker, output_channel.name())
            return [rasa_action.create_bot_utterance(dict(message))] if message else []


_EVENT_TYPES: Dict[str, Type[Event]] = {}
_resolve_by_type_uncached = Event.resolve_by_type


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None):
    cls = _EVENT_TYPES.get(type_name)
    if cls is None:
        cls = _resolve_by_type_uncached(type_name, default)
        if cls is not None and cls is not default:
            _EVENT_TYPES[type_name] = cls
    return cls


class _NoEvents:
    """A tracker proxy whose current_state() leaves the events out (they are added after)."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self._tracker = tracker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)

    def current_state(self, event_verbosity: Any = None) -> Dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        return self._tracker.current_state(EventVerbosity.NONE)


def _without_events(tracker: DialogueStateTracker) -> Any:
    return _NoEvents(tracker)


def _window_start(events: List[Event], keep_user_turns: int) -> int:
    """Index of the action_listen before the ``keep_user_turns``-th last user message."""
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if events[index].type_name == "user":
            seen += 1
            if seen == keep_user_turns:
                return max(index - 1, 0)
    return 0


def _same(a: Event, b: Event) -> bool:
    return a.type_name == b.type_name and a.timestamp == b.timestamp and a == b


class _PrefixCache:
    """Per conversation, the tracker of the events before the window (grown incrementally)."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._items: Dict[str, Tuple[int, DialogueStateTracker]] = {}

    def state_before(self, sender_id: str, events: List[Event], start: int,
                     domain: Domain) -> DialogueStateTracker:
        cached = self._items.pop(sender_id, None)
        # Valid if the conversation still starts with the cached events (the tracker
        # store hands out new event objects, so compare the last one by value).
        if cached and 0 < cached[0] <= start and _same(events[cached[0] - 1], cached[1].events[-1]):
            done, prefix = cached
        else:
            done, prefix = 0, DialogueStateTracker(sender_id, domain.slots)
        for event in events[done:start]:
            prefix.update(event)
        if len(self._items) >= self._size:
            self._items.pop(next(iter(self._items)))
        self._items[sender_id] = (start, prefix)
        return prefix


def recent_history(tracker: DialogueStateTracker, domain: Domain,
                   cache: Optional[_PrefixCache] = None,
                   keep_user_turns: int = KEEP_USER_TURNS) -> DialogueStateTracker:
    """A tracker with the last turns only, starting from the state before them."""
    events = list(tracker.events)
    if len(events) < MIN_EVENTS_FOR_VIEW:
        return tracker
    start = _window_start(events, keep_user_turns)
    if start == 0:
        return tracker
    prefix = (cache or _PrefixCache()).state_before(tracker.sender_id, events, start, domain)
    opening: List[Event] = [
        SlotSet(slot.name, prefix.get_slot(slot.name)) for slot in domain.slots
        if prefix.get_slot(slot.name) != slot.initial_value
    ]
    if prefix.active_loop_name:
        opening.append(ActiveLoop(prefix.active_loop_name))
    return DialogueStateTracker.from_events(
        tracker.sender_id, opening + events[start:], slots=domain.slots
    )


class SebaMessageProcessor(MessageProcessor):
    """Rasa's processor; customers cannot type the bot's controls (``seba.controls``), and
    the policies predict from the recent history."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prefixes = _PrefixCache()

    async def _handle_message_with_tracker(self, message: Any, tracker: DialogueStateTracker) -> None:
        if not message.parse_data:
            message.text = customer_text(message.text, tracker.events)
        await super()._handle_message_with_tracker(message, tracker)

    def _predict_next_with_tracker(self, tracker: DialogueStateTracker):
        if tracker.followup_action:
            return super()._predict_next_with_tracker(tracker)
        view = recent_history(tracker, self.domain, self._prefixes)
        return super()._predict_next_with_tracker(view)


#: The Rasa release these changes were written and tested against: they reach into
#: MessageProcessor, RemoteAction and Event, which other releases may have changed.
RASA_VERSION = "3.6.21"


def install() -> None:
    import rasa

    if rasa.__version__ != RASA_VERSION:
        raise SystemExit(
            f"seba.runtime was written for Rasa {RASA_VERSION} and changes its internals; this "
            f"is Rasa {rasa.__version__}. Install the pinned version (make install) or review "
            "seba/runtime.py against the new release before changing RASA_VERSION."
        )
    rasa_action.RemoteAction = SebaRemoteAction  # used by action_for_name_or_text
    rasa_forms.RemoteAction = SebaRemoteAction  # used for form validation actions
    Event.resolve_by_type = staticmethod(_resolve_by_type)
    rasa_agent.MessageProcessor = SebaMessageProcessor
