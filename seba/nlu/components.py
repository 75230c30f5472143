"""Small NLU components: two deterministic ones and a cheaper response selector.

- ``BengaliDigitNormalizer`` rewrites ০-৯ as 0-9 before tokenisation, so "১০৪৫৬"
  and "10456" produce the same features (the text keeps its length, so entity
  offsets stay valid).
- ``OrderEntityExtractor`` finds order numbers and phone numbers with the rules
  in ``seba.text`` and returns normalised values ("+880 1711-000001" ->
  "01711000001"). Regexes are exact where a learned extractor would guess.
"""

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from seba.text import iter_entities, to_ascii_digits


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


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
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


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class OrderEntityExtractor(_Stateless, EntityExtractorMixin):
    """Extracts ``order_number`` and ``phone`` entities with normalised values."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = list(iter_entities(text))
            if found:
                entities = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FaqResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector, run only on messages classified as its retrieval intent.

    Stock Rasa runs the selector's neural network on every message; its answer is
    used only when the intent is the retrieval intent (``faq``), so for order,
    return and small-talk messages the work is wasted.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        wanted = [
            m for m in messages
            if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent
        ]
        if wanted:
            super().process(wanted)
        return messages
