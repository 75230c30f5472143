"""Changes to how the Rasa server runs; ``install()`` applies them (Rasa 3.6.21 only).

0. Every customer message is screened before the NLU (``SebaMessageProcessor``): cleaned,
   bounded in length, never empty (``seba.inbound``), and customers cannot type the bot's
   controls (``seba.controls``). After the NLU, two close guesses get a clarifying question
   and two requests in one message are answered in turn (``seba.understanding``).

1. A failed custom action gets an apology. Out of the box, when the action server
   is down or answers with an error, Rasa logs it and the customer hears nothing; when it
   is slow, Rasa waits up to five minutes. Here it waits ``SEBA_ACTION_TIMEOUT`` (5 s).
2. Event types are looked up in a dict. ``Event.resolve_by_type`` walks every
   Event subclass for every event it deserialises, and the tracker store
   deserialises the whole conversation on every message: at turn 100 that was
   most of the time a reply took.
3. The policies see the recent history only. Rasa computes the dialogue state
   for every past turn on every prediction, so a turn costs more the longer the
   conversation. Seba's policies (rules, forms, memoization of 4 turns) look at
   the last few turns; ``recent_history`` gives them the last ``KEEP_USER_TURNS``
   turns plus the slots and active form as they stood before them.
4. Trackers copy without replaying their events (``seba.tracker_copy``) and keep their
   applied events, folding only the new ones (``seba.applied_events``): Rasa rebuilt both
   from the whole conversation several times a message.
"""

import asyncio
import logging
import os
import weakref
from typing import Any, Dict, List, Optional, Tuple, Type

from rasa.core import agent as rasa_agent
from rasa.core import processor as rasa_processor
from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.processor import MessageProcessor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from seba import applied_events, inbound, model_pull, tracker_copy
from seba.action_client import pooled
from seba.controls import customer_text
from seba.language import LANGUAGE_SLOT, language_for_tracker
from seba.understanding import UnderstandingMixin

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_technical_problem"
#: Rasa waits up to 5 minutes for the action server; a customer should not.
DEFAULT_ACTION_TIMEOUT = 5.0


def action_timeout() -> float:
    """Seconds a custom action may take before the customer gets an apology
    (``SEBA_ACTION_TIMEOUT``, default 5)."""
    try:
        return max(float(os.environ.get("SEBA_ACTION_TIMEOUT") or DEFAULT_ACTION_TIMEOUT), 0.5)
    except ValueError:
        return DEFAULT_ACTION_TIMEOUT


KEEP_USER_TURNS = 8
# Below this many events the full tracker is cheap enough.
MIN_EVENTS_FOR_VIEW = 80


class ActionServerAnswerError(RasaException):
    """The action server answered something that is not an action result."""


class SebaRemoteAction(rasa_action.RemoteAction):
    """A custom action that apologises in the customer's language when it fails.

    Three costs of Rasa's remote action are cut as well (measured with py-spy under
    load): the connection to the action server is kept open between calls; the action
    server's answer is checked structurally instead of with jsonschema; and the request
    carries the recent turns only, not every event of the conversation (slots, the active
    form and the latest message are sent in full as always).
    """

    def __init__(self, name: str, action_endpoint: Optional[EndpointConfig]) -> None:
        # Kept-alive connections to the action server (seba/action_client.py).
        super().__init__(name, pooled(action_endpoint) if action_endpoint else None)

    def _validate_action_result(self, result: Dict[str, Any]) -> bool:
        """The answer's shape, checked in a few lines instead of jsonschema.

        Rasa validates every action-server answer against a JSON schema: one of the larger
        costs of a message in the profiles, for answers from Seba's own action server
        (which only Rasa can call). Events and responses are deserialised and checked by
        Rasa afterwards as usual; this keeps its guarantee that they are lists of objects.
        """
        if not isinstance(result, dict):
            raise ActionServerAnswerError("the action server's answer is not an object")
        for key in ("events", "responses"):
            value = result.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ActionServerAnswerError(
                    f"'{key}' in the action server's answer is not a list of objects"
                )
        if not all(isinstance(e.get("event"), str) for e in result.get("events") or []):
            raise ActionServerAnswerError("an event in the action server's answer has no type")
        return True

    def _action_call_format(self, tracker: DialogueStateTracker, domain: Domain) -> Dict[str, Any]:
        call = super()._action_call_format(_without_events(tracker), domain)
        events = list(tracker.events)
        start = _window_start(events, KEEP_USER_TURNS) if len(events) >= MIN_EVENTS_FOR_VIEW else 0
        sent = [e.as_dict() for e in events[start:]]
        call["tracker"]["events"] = _slim_earlier_messages(sent)
        # The reply language is the whole conversation's: the window may start after the
        # customer's last decisive message. Actions read it here (actions.base.language).
        call["tracker"].setdefault("slots", {})[LANGUAGE_SLOT] = language_for_tracker(tracker)
        return call

    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await asyncio.wait_for(
                super().run(output_channel, nlg, tracker, domain), action_timeout()
            )
        except rasa_action.ActionExecutionRejection:
            raise  # a form's validation said no: Rasa's normal path
        except asyncio.TimeoutError:
            logger.error(
                "Custom action '%s' took over %ss; apologising.", self.name(), action_timeout()
            )
        except RasaException:
            logger.exception("Custom action '%s' failed; apologising.", self.name())
        message: Any = await nlg.generate(APOLOGY_RESPONSE, tracker, output_channel.name())
        return [rasa_action.create_bot_utterance(dict(message))] if message else []


# What the actions read of an earlier message (actions/handoff.py: its intent; entities and
# text for the record). The rest of the NLU's answer (every intent's score, the response
# selector's ranking) is most of a user event's size and only the latest message needs it,
# which is sent in full as ``latest_message``.
_EARLIER_MESSAGE_KEYS = ("intent", "entities", "text", "message_id")


def _slim_earlier_messages(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for index, event in enumerate(events):
        data = event.get("parse_data")
        if index != last_user and event.get("event") == "user" and isinstance(data, dict):
            event["parse_data"] = {k: data[k] for k in _EARLIER_MESSAGE_KEYS if k in data}
    return events


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
    # The same object first: comparing a BotUttered by value JSON-encodes both (0.6 ms).
    return a is b or (a.type_name == b.type_name and a.timestamp == b.timestamp and a == b)


class _PrefixCache:
    """Per conversation, the tracker of the events before the window (grown incrementally)."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._items: Dict[str, Tuple[int, DialogueStateTracker]] = {}

    def state_before(
        self, sender_id: str, events: List[Event], start: int, domain: Domain
    ) -> DialogueStateTracker:
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


def recent_history(
    tracker: DialogueStateTracker,
    domain: Domain,
    cache: Optional[_PrefixCache] = None,
    keep_user_turns: int = KEEP_USER_TURNS,
) -> DialogueStateTracker:
    """A tracker with the last turns only, starting from the state before them."""
    events = list(tracker.events)
    if len(events) < MIN_EVENTS_FOR_VIEW:
        return tracker
    start = _window_start(events, keep_user_turns)
    if start == 0:
        return tracker
    prefix = (cache or _PrefixCache()).state_before(tracker.sender_id, events, start, domain)
    opening: List[Event] = [
        SlotSet(slot.name, prefix.get_slot(slot.name))
        for slot in domain.slots
        if prefix.get_slot(slot.name) != slot.initial_value
    ]
    if prefix.active_loop_name:
        opening.append(ActiveLoop(prefix.active_loop_name))
    return DialogueStateTracker.from_events(
        tracker.sender_id, opening + events[start:], slots=domain.slots
    )


class SebaMessageProcessor(UnderstandingMixin, MessageProcessor):
    """Rasa's processor; customers cannot type the bot's controls (``seba.controls``), the
    NLU's reading may become a question or two turns (``seba.understanding``), and the
    policies predict from the recent history."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prefixes = _PrefixCache()
        self._answered: "weakref.WeakSet" = weakref.WeakSet()  # output channels that replied
        self._known_features: Dict[int, Any] = {}  # id(domain) -> (intents, entities)

    async def handle_message(self, message: Any) -> Any:
        if await self._already_answered(message):
            logger.info(
                "Message %s of %s was answered before; not again.",
                message.message_id,
                message.sender_id,
            )
            return []
        return await super().handle_message(message)

    def _check_for_unseen_features(self, parse_data: Dict[str, Any]) -> None:
        """Rasa's warning for intents and entities the domain lacks, without its
        ``domain.is_empty()``, which serialises the whole domain twice on every message."""
        known = self._known_features.get(id(self.domain))
        if known is None:  # once per model
            empty = not self.domain or self.domain.is_empty()
            known = (
                (set(), set()) if empty else (set(self.domain.intents), set(self.domain.entities))
            )
            self._known_features = {id(self.domain): known}
        intents, entities = known
        if not intents:  # an empty domain: nothing to compare with
            return
        intent = (parse_data.get("intent") or {}).get("name")
        unseen = [f"intent '{intent}'"] if intent and intent not in intents else []
        unseen += [
            f"entity '{e.get('entity')}'"
            for e in parse_data.get("entities") or []
            if e.get("entity") and e.get("entity") not in entities
        ]
        for what in unseen:
            logger.warning("Parsed an %s which is not defined in the domain.", what)

    async def _already_answered(self, message: Any) -> bool:
        """A stored webhook update handled again after a crash (channels/intake.py) whose
        message Rasa recorded already: its ``message_id`` is in the recent history."""
        if not str(message.message_id or "").startswith(DURABLE_ID_PREFIXES):
            return False
        tracker = await self.get_tracker(message.sender_id)
        recent = list(tracker.events)[-RECENT_EVENTS_FOR_DUPLICATES:]
        return any(
            isinstance(e, UserUttered) and e.message_id == message.message_id for e in recent
        )

    async def _apologise(self, message: Any) -> None:
        tracker = DialogueStateTracker.from_events(
            message.sender_id,
            [
                UserUttered(
                    message.text if isinstance(message.text, str) else "", metadata=message.metadata
                )
            ],
            slots=self.domain.slots,
        )
        try:
            response = await self.nlg.generate(
                APOLOGY_RESPONSE, tracker, message.output_channel.name()
            )
            if response:
                await message.output_channel.send_response(message.sender_id, response)
        except Exception:  # noqa: BLE001 - nothing more can be done for this message
            logger.exception("Could not send the apology to %s", message.sender_id)

    async def execute_side_effects(
        self, events: List[Event], tracker: DialogueStateTracker, output_channel: Any
    ) -> None:
        if any(isinstance(event, BotUttered) for event in events):
            self._answered.add(output_channel)
        await super().execute_side_effects(events, tracker, output_channel)

    async def _handle_message_with_tracker(
        self, message: Any, tracker: DialogueStateTracker
    ) -> None:
        if not message.parse_data:
            text, intent = inbound.screen(message.text)
            if intent:
                message.text, message.parse_data = text, inbound.parse_data(text, intent)
            else:
                message.text = customer_text(text, tracker.events)
                message.parse_data = await self.understand(message, tracker)
        await super()._handle_message_with_tracker(message, tracker)
        self.log_later_requests(message, tracker)

    async def _run_prediction_loop(self, output_channel: Any, tracker: DialogueStateTracker):
        await super()._run_prediction_loop(output_channel, tracker)
        await self.answer_later_requests(output_channel, tracker)

    async def _seba_prediction_loop(self, output_channel: Any, tracker: DialogueStateTracker):
        await super()._run_prediction_loop(output_channel, tracker)

    def _predict_next_with_tracker(self, tracker: DialogueStateTracker):
        if tracker.followup_action:
            return super()._predict_next_with_tracker(tracker)
        view = recent_history(tracker, self.domain, self._prefixes)
        return super()._predict_next_with_tracker(view)


#: Message ids of the durable channels (Telegram update ids, Messenger message ids).
DURABLE_ID_PREFIXES = ("tg:", "fb:")
RECENT_EVENTS_FOR_DUPLICATES = 200

#: The Rasa release these changes were written and tested against: they reach into
#: MessageProcessor, RemoteAction and Event, which other releases may have changed.
RASA_VERSION = "3.6.21"


class SequentialGraphRunner(DaskGraphRunner):
    """Rasa's graph runner for serving, without dask: the nodes a target needs, in order.

    Each message runs the NLU graph once and the policy graph once per prediction. Rasa's
    DaskGraphRunner rebuilds the minimal schema and a dask graph every time, formats the
    whole input (the tracker) and execution context into a debug string that is not
    logged, and lets dask schedule a chain of a dozen nodes: together a sizeable share of
    a message's CPU (profiles in bench/notes.md). The nodes, their inputs and outputs are
    Rasa's own; only the schedule is computed once per target set.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._orders: Dict[Tuple[str, ...], List[str]] = {}

    def _order(self, targets: Tuple[str, ...]) -> List[str]:
        order = self._orders.get(targets)
        if order is None:
            nodes, order, seen = self._graph_schema.nodes, [], set()

            def visit(name: str) -> None:
                if name in seen or name not in nodes:
                    return
                seen.add(name)
                for need in nodes[name].needs.values():
                    visit(need)
                order.append(name)

            for target in targets:
                visit(target)
            order = self._orders[targets] = order
        return order

    def run(
        self, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None
    ) -> Dict[str, Any]:
        run_targets = tuple(targets or self._graph_schema.target_names)
        results: Dict[str, Any] = {name: (name, value) for name, value in (inputs or {}).items()}
        try:
            for name in self._order(run_targets):
                needs = self._graph_schema.nodes[name].needs.values()
                results[name] = self._instantiated_nodes[name](
                    *[results.get(need, need) for need in needs]
                )
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)


class SebaAgent(rasa_agent.Agent):
    """Rasa's agent; a message that fails anywhere — the lock store (Redis) or the tracker
    store is down, an unexpected error — gets an apology in the customer's language instead
    of silence, unless the bot had already answered it."""

    async def handle_message(self, message: Any) -> Any:
        try:
            return await super().handle_message(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the customer must hear something
            logger.exception("Message for %s could not be handled; apologising.", message.sender_id)
            processor = self.processor
            if (
                isinstance(processor, SebaMessageProcessor)
                and message.output_channel not in processor._answered
            ):
                await processor._apologise(message)
            if isinstance(message.output_channel, CollectingOutputChannel):
                return message.output_channel.messages
            return None


def _run_order_notices() -> None:
    """Rasa's server app, with the order-notice deliverer started in each worker."""
    from rasa.core import run as rasa_run

    configure_app = rasa_run.configure_app
    if getattr(configure_app, "seba_notices", False):
        return

    def configure_app_with_notices(*args: Any, **kwargs: Any) -> Any:
        from seba.notices.deliverer import attach

        app = configure_app(*args, **kwargs)
        attach(app)
        return app

    configure_app_with_notices.seba_notices = True  # type: ignore[attr-defined]
    rasa_run.configure_app = configure_app_with_notices


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
    rasa_agent.Agent = SebaAgent  # what rasa_agent.load_agent builds
    rasa_processor.DaskGraphRunner = SequentialGraphRunner  # serving only; training keeps dask
    _run_order_notices()  # every worker delivers courier updates (seba/notices/deliverer.py)
    tracker_copy.install()  # copies without replaying every event (seba/tracker_copy.py)
    applied_events.install()  # folds only the new events (seba/applied_events.py)
    model_pull.install()  # every worker follows the live model (seba/model_server.py)
