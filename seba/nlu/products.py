"""Product mentions from the catalogue's lookup table, with Bangla word endings.

Rasa's RegexEntityExtractor wraps lookup entries in ``\\b``. Python does not count
Bengali vowel signs (া, ি, ো) as word characters, so "বোরকা" is not found in
"কালো বোরকা কবে পাবো", and suffixed forms customers write ("বোরকাটা",
"panjabir") are missed. This extractor uses script-aware boundaries and allows
the common Bangla/Banglish endings; the value is the catalogue form ("বোরকা").
The lookup table is ``data/nlu/lookup_products.yml`` (``python -m seba.db export-lookup``).
"""

import re
from typing import Any, Dict, List, Optional, Text

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WORD = r"[\w\u0980-\u09FF]"
BANGLA_ENDINGS = r"(?:টার|টির|টাও|টা|টি|গুলো|গুলা|খানা|ের|র|ে)?"
LATIN_ENDINGS = r"(?:tar|ta|ti|gula|gulo|er|r)?"


def _trie(entries: List[str]) -> str:
    """One regex for all ``entries``, shaped as a character trie: at each position the
    engine follows one branch instead of trying every entry in turn (hundreds of them),
    and a longer entry is tried before a shorter one it starts with."""
    root: Dict[str, Any] = {}
    for entry in entries:
        node = root
        for char in entry:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: Dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def _regex(entries: List[str]) -> "re.Pattern[str]":
    bangla = [e for e in entries if re.search(r"[\u0980-\u09FF]$", e)]
    latin = [e for e in entries if e not in set(bangla)]
    parts = []
    if bangla:
        parts.append(f"(?P<bn>{_trie(bangla)}){BANGLA_ENDINGS}")
    if latin:
        parts.append(f"(?P<latin>{_trie(latin)}){LATIN_ENDINGS}")
    return re.compile(rf"(?<!{WORD})(?:{'|'.join(parts)})(?!{WORD})", re.IGNORECASE)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ProductEntityExtractor(GraphComponent, EntityExtractorMixin):
    FILE = "product_lookup.json"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": "product", "lookup": "product"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        entries: Optional[List[str]] = None,
    ) -> None:
        self._config, self._storage, self._resource = config, model_storage, resource
        self._set_entries(entries or [])

    def _set_entries(self, entries: List[str]) -> None:
        # Longest first: "jamdani saree" wins over "jamdani".
        self._entries = sorted(
            {e.strip().lower() for e in entries if e.strip()}, key=lambda e: (-len(e), e)
        )
        self._regex = _regex(self._entries) if self._entries else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProductEntityExtractor":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        entries: List[str] = []
        for table in training_data.lookup_tables:
            if table.get("name") == self._config["lookup"]:
                elements = table.get("elements")
                entries.extend(elements if isinstance(elements, list) else [])
        self._set_entries(entries)
        with self._storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / self.FILE, self._entries)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "ProductEntityExtractor":
        try:
            with model_storage.read_from(resource) as directory:
                entries = rasa.shared.utils.io.read_json_file(directory / cls.FILE)
        except (ValueError, FileNotFoundError):
            entries = []
        return cls(config, model_storage, resource, entries)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._regex is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            found = []
            for match in self._regex.finditer(text):
                value = (
                    match.group("bn")
                    if "bn" in self._regex.groupindex and match.group("bn") is not None
                    else match.group("latin")
                )
                found.append(
                    {
                        "entity": self._config["entity"],
                        "start": match.start(),
                        "end": match.end(),
                        "value": value.lower(),
                    }
                )
            if found:
                entities = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages
