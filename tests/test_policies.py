"""seba/policies.py: CachedRulePolicy's remembered dialogue states are Rasa's states, and
reading only the latest of them predicts what Rasa predicts from all of them."""

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba.policies import CachedRulePolicy
from tests.servers import MODEL, ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def _policy() -> CachedRulePolicy:
    policy = CachedRulePolicy.__new__(CachedRulePolicy)  # only the featurizer is needed here
    policy._Policy__featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
    policy._states = None
    policy._training = False
    # Rule keys are JSON lists of states: the longest rule here has four.
    policy.lookup = {"rules": {"[{}, {}, {}, {}]": "utter_greet", "[{}]": "action_listen"}}
    policy._rule_turns = None
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
        assert policy.rule_turns() == 4 and mine == rasas[-4:]
        mine[-1].clear()  # what a caller does with the result cannot change the next answer
    tracker.update(ActionExecuted("utter_greet"))  # the tracker grows: states are new
    assert (
        policy._prediction_states(tracker, DOMAIN, False, rule_only)
        == Policy._prediction_states(policy, tracker, DOMAIN, False, rule_only)[-4:]
    )
    other = copy.deepcopy(tracker)  # another tracker object: not the remembered one
    assert (
        policy._prediction_states(other, DOMAIN, True, rule_only)
        == Policy._prediction_states(policy, other, DOMAIN, True, rule_only)[-4:]
    )
    policy._training = True  # training reads every state, as Rasa does
    assert policy._prediction_states(other, DOMAIN, True, rule_only) == Policy._prediction_states(
        policy, other, DOMAIN, True, rule_only
    )


def test_the_training_graph_of_config_yml_is_valid():
    # Rasa checks each component's train/process signature (return types included) before
    # it trains: an override with the wrong annotations stops `rasa train`.
    import rasa.engine.validation
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType
    from rasa.shared.utils.io import read_config_file

    config = read_config_file(str(ROOT / "config.yml"))
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    model_config = recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.BOTH)
    rasa.engine.validation.validate(model_config)


# --- the trained model's rules: the latest states predict what all of them predict ------


@pytest.fixture(scope="module")
def trained():
    if not MODEL.exists():
        pytest.skip("no trained model (make train)")
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    policy = next(
        n._component for n in nodes if isinstance(getattr(n, "_component", None), CachedRulePolicy)
    )
    return policy, agent.domain


def _predict(policy, tracker, domain, full):
    """(action, the rule it came from, returning from unhappy path) for both ways of showing
    the last message (with no rule, Rasa's source is the states' key: not compared):
    ``full``, Rasa's RulePolicy on every state (nothing remembered); else the policy as it
    serves, its remembered answers included."""
    if full:
        policy._training, policy._states = True, None
        find = RulePolicy._find_action_from_rules.__get__(policy)
    else:
        find = policy._find_action_from_rules
    try:
        found = [find(tracker, domain, use_text) for use_text in (True, False)]
    finally:
        policy._training = False
    return [(action, source if action else None, unhappy) for action, source, unhappy in found]


# A customer's turns: an intent (with an order number now and then), now and then a slot
# the conversation depends on set to one of its values (as actions set them), and the bot
# playing its rules (up to four actions) until it listens; a form it plays starts its loop,
# action_deactivate_loop ends it.
turns = st.lists(
    st.tuples(st.integers(0, 10_000), st.booleans(), st.integers(0, 10_000)),
    min_size=1,
    max_size=40,
)


def _slot_event(domain, pick):
    slots = [s for s in domain.slots if s.influence_conversation]
    slot = slots[pick % len(slots)]
    values = list(getattr(slot, "values", None) or [True, False, None])
    return SlotSet(slot.name, values[(pick // len(slots)) % len(values)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_the_latest_states_predict_what_rasa_predicts_from_all(trained, script):
    policy, domain = trained
    intents = sorted(i for i in domain.intents if i not in ("restart", "session_start"))
    forms = set(domain.form_names)
    tracker = DialogueStateTracker.from_events(
        "c", [ActionExecuted("action_session_start"), ActionExecuted("action_listen")], domain.slots
    )
    for pick, with_number, slot_pick in script:
        entities = [{"entity": "order_number", "value": "10456"}] if with_number else []
        tracker.update(_user("x", intents[pick % len(intents)], entities), domain)
        for _ in range(4):
            full = _predict(policy, tracker, domain, full=True)
            assert _predict(policy, tracker, domain, full=False) == full
            action = full[1][0] or full[0][0]  # Rasa: the intent's rule, else the text's
            if not action or action == "action_listen":
                break
            tracker.update(ActionExecuted(action))
            if action in forms:
                tracker.update(ActiveLoop(action))
            elif action == "action_deactivate_loop":
                tracker.update(ActiveLoop(None))
            elif slot_pick % 3 == 0:
                tracker.update(_slot_event(domain, slot_pick // 3))
        tracker.update(ActionExecuted("action_listen"))
    # ...and the remembered predictions, asked again, are the same.
    assert _predict(policy, tracker, domain, full=False) == _predict(
        policy, tracker, domain, full=True
    )
