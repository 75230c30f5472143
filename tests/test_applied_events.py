"""seba/applied_events.py: the kept-and-extended fold equals Rasa's rebuilt one, always."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from seba.applied_events import _KEPT, _rebuilding_applied_events, applied_events, share
from seba.tracker_copy import fast_copy

FORMS = ["order_form", "return_form"]


def _event(kind: int, n: int):
    """One event of every kind the fold treats apart (and a few it does not)."""
    form = FORMS[n % 2]
    return [
        lambda: ActionExecuted("action_listen"),
        lambda: UserUttered(f"message {n}", {"name": "greet", "confidence": 1.0}),
        lambda: ActionExecuted(form),
        lambda: ActiveLoop(form),
        lambda: ActiveLoop(None),
        lambda: ActionExecuted("action_check_order"),
        lambda: BotUttered(f"reply {n}"),
        lambda: SlotSet("order_number", str(n)),
        lambda: UserUtteranceReverted(),
        lambda: ActionReverted(),
        lambda: Restarted(),
        lambda: SessionStarted(),
        lambda: ActionExecuted("action_unlikely_intent"),
    ][kind]()


conversations = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3)), min_size=0, max_size=60)
# Where the conversation is asked for its applied events: after which events.
asks = st.lists(st.integers(0, 60), max_size=8)


def _same(a, b):
    return [id(e) for e in a] == [id(e) for e in b]


@settings(max_examples=300, deadline=None)
@given(conversations, asks)
def test_asking_as_the_conversation_grows_gives_rasas_answer(script, ask_at):
    tracker = DialogueStateTracker("c", [])
    for index, (kind, n) in enumerate(script):
        tracker.update(_event(kind, n)) if kind != 8 or tracker.events else None
        if index in ask_at or index == len(script) - 1:
            assert _same(applied_events(tracker), _rebuilding_applied_events(tracker))


@settings(max_examples=100, deadline=None)
@given(conversations, conversations)
def test_a_copy_keeps_the_fold_and_grows_apart(before, after):
    tracker = DialogueStateTracker("c", [])
    for kind, n in before:
        tracker.events.append(_event(kind, n))
    applied_events(tracker)
    copy = fast_copy(tracker)
    for kind, n in after:
        copy.events.append(_event(kind, n))
    assert _same(applied_events(copy), _rebuilding_applied_events(copy))
    assert _same(applied_events(tracker), _rebuilding_applied_events(tracker))


def test_a_loop_name_first_seen_later_refolds_from_the_start():
    # An ActionExecuted of a form counts as a loop execution only if the form was ever
    # active, even later: the earlier fold must be redone.
    tracker = DialogueStateTracker("c", [])
    for event in [
        ActionExecuted("order_form"),
        UserUttered("12345", {"name": "inform", "confidence": 1.0}),
        ActionExecuted("order_form"),
    ]:
        tracker.events.append(event)
    first = applied_events(tracker)
    assert len(first) == 3
    tracker.events.append(ActiveLoop("order_form"))
    assert _same(applied_events(tracker), _rebuilding_applied_events(tracker))
    assert len(applied_events(tracker)) != len(first) + 1


def test_events_replaced_under_the_tracker_are_folded_again():
    tracker = DialogueStateTracker("c", [])
    tracker.events.extend([ActionExecuted("action_listen"), UserUttered("hi")])
    applied_events(tracker)
    tracker.events.clear()
    tracker.events.extend([SessionStarted(), UserUttered("again")])
    assert _same(applied_events(tracker), _rebuilding_applied_events(tracker))


def test_callers_changing_the_list_change_nothing():
    tracker = DialogueStateTracker("c", [])
    tracker.events.extend([ActionExecuted("action_listen"), UserUttered("hi")])
    applied_events(tracker).clear()
    assert len(applied_events(tracker)) == 2


def test_the_fold_is_kept_on_the_tracker_and_shared_with_a_copy():
    tracker = DialogueStateTracker("c", [])
    tracker.events.extend([ActionExecuted("action_listen"), UserUttered("hi")])
    applied_events(tracker)
    other = DialogueStateTracker("c", [])
    other.events.extend(tracker.events)
    share(tracker, other)
    assert other.__dict__[_KEPT] is tracker.__dict__[_KEPT]
