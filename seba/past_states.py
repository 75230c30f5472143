"""The latest dialogue states of a tracker, without building the earlier ones.

RulePolicy turns the conversation into one state per action (``Tracker.past_states``:
Rasa's ``Domain.states_for_tracker_history``) for every prediction: it replays the applied
events into a fresh tracker and builds the state (intent, slots, previous action, loop)
before each action. Building a state featurises every slot (~0.12 ms with Seba's domain),
and a prediction sees up to the last eight turns (``seba.runtime.recent_history``): about
sixteen states, 2 ms a prediction, several predictions a message — while the rules read
only the last three (``CachedRulePolicy.rule_turns``).

:func:`past_states` replays every event as Rasa does (the slots need them all) and builds
only the last ``last`` states. Only Rasa's default reading is done (``omit_unset_slots`` and
``ignore_rule_only_turns`` off, what RulePolicy asks for); tests/test_past_states.py
compares the result with the tail of Rasa's over random conversations.
"""

from typing import List

from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker


def past_states(tracker: DialogueStateTracker, domain: Domain, last: int) -> List[State]:
    """The last ``last`` of ``tracker.past_states(domain)`` (Rasa's defaults)."""
    if type(tracker) is not DialogueStateTracker:  # a subclass may replay differently
        found = tracker.past_states(domain)
        return found[max(0, len(found) - last) :]
    applied = tracker.applied_events()
    # Rasa's states: one before each ActionExecuted, and one after the last event.
    actions = sum(isinstance(event, ActionExecuted) for event in applied)
    skip = max(0, actions + 1 - last)  # states not asked for
    replay = tracker.init_copy()
    states: List[State] = []
    for event in applied:
        if isinstance(event, ActionExecuted):
            if skip:
                skip -= 1
            else:
                states.append(domain.get_active_state(replay))
        replay.update(event)
    if last > 0:
        states.append(domain.get_active_state(replay))
    return states
