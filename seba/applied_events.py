"""A tracker's applied events, kept and extended instead of rebuilt on every call.

``DialogueStateTracker.applied_events`` folds over every event of the conversation (undoing
reverted turns, restarting at a restart or a session start) each time it is called, and Rasa
calls it at least twice for every message (``MessageProcessor._update_tracker_session``: is
the tracker empty, and when was the customer's last message): 2.7 ms each at turn 100, a
turn's cost that grows with the conversation (py-spy, bench/notes.md).

The fold is a function of the events alone, so the result for a conversation's first ``n``
events stays right while events are only appended: ``applied_events`` keeps, per tracker,
the events it folded and the result, and folds only what was appended since. One thing the
fold reads from the whole list: the names of the loops (forms) that were ever active. If
new events add such a name, or the kept events are no longer the tracker's first ones (by
identity), it folds from the start, as Rasa does. The step is Rasa's own loop body, with
Rasa's helpers; tests/test_applied_events.py compares the result with Rasa's over random
conversations of every kind of event.

``seba.runtime.install`` puts it in place of ``DialogueStateTracker.applied_events``.
"""

import operator
from typing import Any, List, Optional, Set, Tuple

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

_rebuilding_applied_events = DialogueStateTracker.applied_events

# On each tracker (trackers are not hashable): (the events folded, the loop names among
# them, the applied events).
_Kept = Tuple[List[Event], Set[str], List[Event]]
_KEPT = "_seba_applied_events"


def _loop_names(events: Any) -> Set[str]:
    return {e.name for e in events if isinstance(e, ActiveLoop) and e.name}


def _fold(
    tracker: DialogueStateTracker, events: Any, loop_names: Set[str], applied: List[Event]
) -> List[Event]:
    """Rasa's ``applied_events`` loop over ``events``, continuing from ``applied``."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


def applied_events(self: DialogueStateTracker) -> List[Event]:
    if type(self) is not DialogueStateTracker:  # a subclass may fold differently
        return _rebuilding_applied_events(self)
    events = list(self.events)
    kept: Optional[_Kept] = self.__dict__.get(_KEPT)
    if kept is not None:
        done, names, applied = kept
        new = events[len(done) :]
        if (
            len(done) <= len(events)
            and all(map(operator.is_, done, events))
            and _loop_names(new) <= names
        ):
            applied = _fold(self, new, names, list(applied))
            self.__dict__[_KEPT] = (events, names, applied)
            return list(applied)
    names = _loop_names(events)
    applied = _fold(self, events, names, [])
    self.__dict__[_KEPT] = (events, names, applied)
    return list(applied)


def share(original: DialogueStateTracker, copy: DialogueStateTracker) -> None:
    """``copy`` holds the same events as ``original``: it starts from the same fold."""
    kept = original.__dict__.get(_KEPT)
    if kept is not None:
        copy.__dict__[_KEPT] = kept


def install() -> Any:
    DialogueStateTracker.applied_events = applied_events  # type: ignore[assignment]
    return applied_events
