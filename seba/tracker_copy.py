"""A copy of a dialogue tracker without replaying its events.

Rasa copies the conversation's tracker before every action it runs (``MessageProcessor.
_run_action``: a temporary tracker the action may change and that is thrown away if the
action is rejected), and ``DialogueStateTracker.copy`` builds that copy by applying every
event of the conversation again, one by one: a cost that grows with the conversation, paid
several times per message (py-spy, bench/notes.md). The tracker's state is a handful of
fields that the events set (``Event.apply_to``: slots, the active loop, the latest action,
message and bot utterance, the follow-up action, paused); ``fast_copy`` copies those fields
and the event list instead, so the copy equals Rasa's replayed one (tests/test_tracker_copy.py
compares them over every kind of event) at the cost of copying the slots.

``seba.runtime.install`` puts it in place of ``DialogueStateTracker.copy``.
"""

import copy as _copy
from typing import Any

from rasa.shared.core.trackers import DialogueStateTracker

from seba import applied_events

_replaying_copy = DialogueStateTracker.copy


def fast_copy(self: DialogueStateTracker) -> DialogueStateTracker:
    if type(self) is not DialogueStateTracker:  # a subclass may keep more state
        return _replaying_copy(self)
    other = self.init_copy()  # same sender, max history, rule flag; slots at initial values
    other.events.extend(self.events)
    other.slots = {name: _copy.copy(slot) for name, slot in self.slots.items()}
    other._paused = self._paused
    other.followup_action = self.followup_action
    other.latest_action = dict(self.latest_action) if self.latest_action else self.latest_action
    other.latest_message = self.latest_message
    other.latest_bot_utterance = self.latest_bot_utterance
    other.active_loop = _copy.copy(self.active_loop)
    applied_events.share(self, other)  # same events: the copy starts from the same fold
    return other


def install() -> Any:
    DialogueStateTracker.copy = fast_copy  # type: ignore[assignment]
    return fast_copy
