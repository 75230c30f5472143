"""Small NLU components: two deterministic ones and the FAQ answer from the classifier.

- ``BengaliDigitNormalizer`` rewrites ০-৯ as 0-9 before tokenisation, so "১০৪৫৬"
  and "10456" produce the same features (the text keeps its length, so entity
  offsets stay valid).
- ``OrderEntityExtractor`` finds order numbers and phone numbers with the rules
  in ``seba.text`` and returns normalised values ("+880 1711-000001" ->
  "01711000001"). Regexes are exact where a learned extractor would guess.
  A run of 8-15 digits that is not a phone (other shops' order ids) is an
  ``order_number`` too, with its digits: the order forms then tell the customer it is not
  one of ours instead of the question turning into something else.
"""

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from seba.nlu.linear_classifier import KEY_RANKING
from seba.text import find_phones, iter_entities, to_ascii_digits

# 8-15 digits standing alone (optionally after '#'); shorter runs are seba.text's rules.
_LONG_NUMBER = re.compile(r"(?<![\d\w])#?(\d{8,15})(?!\d)")
_MONEY_AFTER = re.compile(r"^\s*(?:tk|taka|টাকা|৳|bdt|/-)", re.IGNORECASE)


def long_numbers(text: str) -> List[Dict[str, Any]]:
    """``order_number`` entities for 8-15 digit runs that are not phones or money."""
    ascii_text = to_ascii_digits(text)
    phones = [(s, e) for s, e, _ in find_phones(text)]
    found = []
    for match in _LONG_NUMBER.finditer(ascii_text):
        start, end = match.span(1)
        if any(s < end and start < e for s, e in phones) or _MONEY_AFTER.match(ascii_text[end:]):
            continue
        found.append(
            {"entity": "order_number", "start": start, "end": end, "value": match.group(1)}
        )
    return found


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class BengaliDigitNormalizer(_Stateless):
    """Replaces Bengali digits with ASCII digits in the message text."""

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if text:
            normalized = to_ascii_digits(text)
            if normalized != text:
                message.set(TEXT, normalized)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class OrderEntityExtractor(_Stateless, EntityExtractorMixin):
    """Extracts ``order_number`` and ``phone`` entities with normalised values."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = list(iter_entities(text)) + long_numbers(text)
            if found:
                entities = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqKeySelector(_Stateless):
    """Picks the FAQ answer from the intent classifier's own ranking of response keys.

    ``LinearIntentClassifier`` classifies "faq/delivery_charge", "faq/warranty" ... as
    classes of their own and keeps that ranking on the message; for a message whose intent
    is ``faq`` this writes it in the form Rasa's ResponseSelector would (``utter_faq``
    reads ``response_selector.faq.response.utter_action``). Rasa's ResponseSelector is a
    second neural network to train (~70 s) and run, and chose the key less well on the
    held-out split (96.1% vs 98%).
    """

    RETRIEVAL_INTENT = "faq"

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != self.RETRIEVAL_INTENT:
                continue
            prefix = self.RETRIEVAL_INTENT + "/"
            ranking = [
                (key, p) for key, p in message.get(KEY_RANKING) or [] if key.startswith(prefix)
            ]
            if not ranking:
                continue
            total = sum(p for _, p in ranking) or 1.0
            best, best_p = ranking[0]
            message.set(
                RESPONSE_SELECTOR_PROPERTY_NAME,
                {
                    RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [self.RETRIEVAL_INTENT],
                    self.RETRIEVAL_INTENT: {
                        RESPONSE_SELECTOR_PREDICTION_KEY: {
                            RESPONSE_SELECTOR_RESPONSES_KEY: [],
                            PREDICTED_CONFIDENCE_KEY: best_p / total,
                            INTENT_RESPONSE_KEY: best,
                            RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
                        },
                        RESPONSE_SELECTOR_RANKING_KEY: [
                            {"id": i, PREDICTED_CONFIDENCE_KEY: p / total, INTENT_RESPONSE_KEY: key}
                            for i, (key, p) in enumerate(ranking)
                        ],
                    },
                },
                add_to_output=True,
            )
        return messages
