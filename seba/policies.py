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
intent).

config.yml: ``policies: [{name: seba.policies.CachedRulePolicy, ...RulePolicy's options}]``
"""

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

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

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[Text, Any]] = None,
    ) -> List[State]:
        """RulePolicy's ``featurizer.prediction_states`` for one tracker, with the states up
        to the last one computed once per tracker (and length) and rule-only data."""
        if self.featurizer.max_history:  # not RulePolicy's default: Rasa's own path
            return super()._prediction_states(
                tracker, domain, use_text_for_last_user_input, rule_only_data
            )
        key = (len(tracker.events), id(rule_only_data), id(domain))
        memo = self._states
        if memo is None or memo[0] is not tracker or memo[1] != key:
            states = self.featurizer._create_states(
                tracker, domain, ignore_rule_only_turns=False, rule_only_data=rule_only_data
            )
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
