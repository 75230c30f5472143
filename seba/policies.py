"""Rasa's RulePolicy, remembering what its rules said for a dialogue state.

For every prediction RulePolicy matches the conversation's recent states against every rule
(``_get_possible_keys``: each rule key checked turn by turn) — with Seba's hundred-odd rules
the largest part of a prediction, and a message needs several. The answer depends only on
those states, the active form and whether the customer's text or intent is being used, so
it is kept (bounded) and the next conversation in the same state gets it at once. Rules and
training are Rasa's own; only the lookup is remembered.

The dialogue states themselves (``past_states``: the conversation replayed into one state
per action) are computed once per tracker and reused by the predictions made on the same
tracker, which differ only in how the customer's last message is shown (its text or its
intent). A prediction reads only as many of the latest states as the longest rule has
(``seba.past_states`` builds only those): Rasa's matching passes every rule at any earlier
state (``_is_rule_applicable``: "further in the conversation history than the rule's
length"), so the earlier states change nothing, and building, keying and walking them was
most of a prediction in a long conversation (bench/notes.md). Training is Rasa's own path.

config.yml: ``policies: [{name: seba.policies.CachedRulePolicy, ...RulePolicy's options}]``
"""

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from seba import past_states

CACHE_SIZE = 20_000
_Found = Tuple[Optional[Text], Optional[Text], bool]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CachedRulePolicy(RulePolicy):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._found: "OrderedDict[Tuple, _Found]" = OrderedDict()
        self._states: Optional[Tuple[Any, ...]] = None  # (tracker, key, earlier states, last)
        self._training = False
        self._rule_turns: Optional[int] = None  # the longest rule's states

    def train(  # Rasa's graph validation reads this signature: keep it RulePolicy's
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        # Rasa's training checks its rules against stories through the same prediction
        # code; it sees every state, as in Rasa, and leaves nothing remembered behind.
        self._training = True
        try:
            return super().train(training_trackers, domain, **kwargs)
        finally:
            self._training = False
            self._found.clear()
            self._states = None
            self._rule_turns = None

    def rule_turns(self) -> int:
        """How many of the latest states any rule reads: the longest rule's length."""
        if self._rule_turns is None:
            keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            self._rule_turns = max((len(self._rule_key_to_state(k)) for k in keys), default=1)
        return self._rule_turns

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        """The last ``rule_turns()`` of RulePolicy's ``featurizer.prediction_states`` for
        one tracker, the ones before the last computed once per tracker (and length)."""
        if self.featurizer.max_history or self._training:  # Rasa's own path
            return super()._prediction_states(
                tracker, domain, use_text_for_last_user_input, rule_only_data
            )
        key = (len(tracker.events), id(rule_only_data), id(domain))
        memo = self._states
        if memo is None or memo[0] is not tracker or memo[1] != key:
            # Rasa's featurizer reads the states with ignore_rule_only_turns off here, so
            # rule_only_data changes nothing in them.
            states = past_states.past_states(tracker, domain, last=self.rule_turns())
            earlier = states[:-1]
            self.featurizer._remove_user_text_if_intent([earlier])
            memo = self._states = (tracker, key, earlier, states[-1] if states else None)
        _, _, earlier, last = memo
        if last is None:
            return []
        states = earlier + [{k: dict(v) if isinstance(v, dict) else v for k, v in last.items()}]
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    def _find_action_from_rules(
        self, tracker: DialogueStateTracker, domain: Domain, use_text_for_last_user_input: bool
    ) -> _Found:
        if use_text_for_last_user_input and tracker.latest_action_name != ACTION_LISTEN_NAME:
            return None, None, False  # Rasa's own early answer
        states = self._prediction_states(
            tracker, domain, use_text_for_last_user_input, rule_only_data=self._get_rule_only_data()
        )
        key = (
            use_text_for_last_user_input,
            tracker.active_loop_name,
            self._create_feature_key(states),
        )
        found = self._found.get(key)
        if found is None:
            found = super()._find_action_from_rules(tracker, domain, use_text_for_last_user_input)
            self._found[key] = found
            if len(self._found) > CACHE_SIZE:
                self._found.popitem(last=False)
        else:
            self._found.move_to_end(key)
        return found
