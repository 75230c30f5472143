"""seba/tracker_copy.py: the fast copy equals Rasa's replayed copy, for every kind of event."""

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from seba.tracker_copy import _replaying_copy, fast_copy

DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "order_status"],
        "slots": {
            "order_number": {"type": "text", "mappings": [{"type": "custom"}]},
            "tries": {"type": "float", "initial_value": 0, "mappings": [{"type": "custom"}]},
            "orders": {"type": "list", "mappings": [{"type": "custom"}]},
            "verified": {"type": "bool", "mappings": [{"type": "custom"}]},
        },
        "forms": {"order_form": {"required_slots": ["order_number"]}},
    }
)


def _user(text, intent="greet"):
    return UserUttered(text, {"name": intent, "confidence": 0.9}, [])


STORIES = {
    "plain": [
        ActionExecuted("action_listen"),
        _user("hi"),
        ActionExecuted("utter_greet"),
        BotUttered("hello", metadata={"utter_action": "utter_greet"}),
    ],
    "form": [
        ActionExecuted("action_listen"),
        _user("order", "order_status"),
        ActionExecuted("order_form"),
        ActiveLoop("order_form"),
        SlotSet("requested_slot", "order_number"),
        ActionExecuted("action_listen"),
        _user("10456"),
        SlotSet("order_number", "10456"),
        LoopInterrupted(True),
        ActionExecutionRejected("order_form"),
        SlotSet("orders", ["10456", "10457"]),
        SlotSet("tries", 2.0),
    ],
    "paused": [
        ActionExecuted("action_listen"),
        _user("agent"),
        ConversationPaused(),
        FollowupAction("action_listen"),
    ],
    "resumed": [ConversationPaused(), ConversationResumed(), ActionExecuted("action_listen")],
    "restart": [
        SlotSet("verified", True),
        _user("x"),
        Restarted(),
        _user("y"),
        ActionExecuted("utter_greet"),
    ],
    "session": [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("order_number", "1"),
        ActionExecuted("action_listen"),
        _user("z"),
        AllSlotsReset(),
        ActiveLoop(None),
    ],
}


def _state(tracker: DialogueStateTracker):
    return (
        tracker.current_state(EventVerbosity.ALL),
        tracker._paused,
        tracker.followup_action,
        tracker.active_loop,
        tracker.latest_action,
        tracker.latest_message,
        tracker.latest_bot_utterance,
        {n: (s.value, s.has_been_set) for n, s in tracker.slots.items()},
        tracker.sender_id,
        tracker.is_rule_tracker,
        tracker._max_event_history,
    )


@pytest.mark.parametrize("name", sorted(STORIES))
def test_the_fast_copy_is_the_replayed_copy(name):
    tracker = DialogueStateTracker.from_events(f"tg:{name}", STORIES[name], slots=DOMAIN.slots)
    assert _state(fast_copy(tracker)) == _state(_replaying_copy(tracker))


def test_changing_the_copy_leaves_the_original_alone():
    tracker = DialogueStateTracker.from_events("tg:1", STORIES["form"], slots=DOMAIN.slots)
    before = _state(tracker)
    other = fast_copy(tracker)
    other.update(SlotSet("order_number", "99999"))
    other.update(ActiveLoop(None))
    other.update(ActionExecuted("utter_greet"))
    other.update(ConversationPaused())
    assert _state(tracker) == before
    assert len(other.events) == len(tracker.events) + 4
