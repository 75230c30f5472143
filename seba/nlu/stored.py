"""A trainable component whose whole model is one object pickled with joblib in Rasa's
model storage (LinearIntentClassifier, OutOfScopeDetector)."""

from typing import Any, Dict, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class JoblibComponent(GraphComponent):
    MODEL_FILE = "model.joblib"

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Any] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "JoblibComponent":
        return cls(config, model_storage, resource)

    def persist(self) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._model, directory / self.MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "JoblibComponent":
        """An untrained resource (nothing stored) loads as a component without a model."""
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / cls.MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)
