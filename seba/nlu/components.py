"""Two small, deterministic NLU components.

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
from rasa.shared.nlu.constants import ENTITIES, TEXT
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
