"""seba/policies.py: CachedRulePolicy's remembered dialogue states are Rasa's states."""

import copy

import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.policy import Policy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba.policies import CachedRulePolicy
from tests.servers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _policy() -> CachedRulePolicy:
    policy = CachedRulePolicy.__new__(CachedRulePolicy)  # only the featurizer is needed here
    policy._Policy__featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
    policy._states = None
    return policy


def _user(text, intent, entities=()):
    return UserUttered(text, {"name": intent, "confidence": 0.9}, list(entities))


CONVERSATIONS = [
    [ActionExecuted("action_listen"), _user("হ্যালো", "greet")],
    [
        ActionExecuted("action_listen"),
        _user("order kothay", "order_status"),
        ActionExecuted("order_status_form"),
        ActiveLoop("order_status_form"),
        SlotSet("requested_slot", "order_number"),
        BotUttered("অর্ডার নম্বর দিন"),
        ActionExecuted("action_listen"),
        _user("10456", "inform", [{"entity": "order_number", "value": "10456"}]),
        SlotSet("order_number", "10456"),
    ],
    [
        ActionExecuted("action_listen"),
        _user("hi", "greet"),
        ActionExecuted("utter_greet"),
        BotUttered("hello"),
        ActionExecuted("action_listen"),
        _user("thanks", "thank"),
        ActionExecuted("utter_thank"),
    ],
]


@pytest.mark.parametrize("events", CONVERSATIONS)
def test_states_equal_rasas_in_any_order_of_calls(events):
    policy = _policy()
    tracker = DialogueStateTracker.from_events("tg:1", events, slots=DOMAIN.slots)
    rule_only = {"slots": [], "loops": []}
    for use_text in (True, False, True, False):
        mine = policy._prediction_states(tracker, DOMAIN, use_text, rule_only)
        rasas = Policy._prediction_states(policy, tracker, DOMAIN, use_text, rule_only)
        assert mine == rasas
        mine[-1].clear()  # what a caller does with the result cannot change the next answer
    tracker.update(ActionExecuted("utter_greet"))  # the tracker grows: states are new
    assert policy._prediction_states(
        tracker, DOMAIN, False, rule_only
    ) == Policy._prediction_states(policy, tracker, DOMAIN, False, rule_only)
    other = copy.deepcopy(tracker)  # another tracker object: not the remembered one
    assert policy._prediction_states(other, DOMAIN, True, rule_only) == Policy._prediction_states(
        policy, other, DOMAIN, True, rule_only
    )
