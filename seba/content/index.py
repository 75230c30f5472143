"""What the project declares and where: the domain's names and the NLU examples, with lines."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from rasa.shared.nlu.training_data import entities_parser

from seba.content.problems import Problem, error, excerpt
from seba.content.project import Loc, Project, line_of, mapping_items, names_in, seq_items
from seba.language import detect_variety

DOMAIN_KEYS = ("intents", "entities", "slots", "forms", "actions", "responses")


@dataclass
class Example:
    key: str  # the intent, or faq/<key> for a retrieval intent
    text: str  # what the customer writes (entity annotations removed)
    raw: str  # the line as written in the file (after "- ")
    file: str
    line: Optional[int]
    entities: List[str] = field(default_factory=list)

    @property
    def variety(self) -> Optional[str]:
        return detect_variety(self.text)


@dataclass
class Response:
    name: str
    file: str
    line: Optional[int]
    variations: Any  # the YAML list of variations


@dataclass
class Index:
    intents: Dict[str, Loc] = field(default_factory=dict)
    entities: Dict[str, Loc] = field(default_factory=dict)
    slots: Dict[str, Any] = field(default_factory=dict)  # name -> the slot's YAML
    slot_locs: Dict[str, Loc] = field(default_factory=dict)
    forms: Dict[str, Any] = field(default_factory=dict)
    form_locs: Dict[str, Loc] = field(default_factory=dict)
    actions: Dict[str, Loc] = field(default_factory=dict)
    responses: Dict[str, Response] = field(default_factory=dict)
    examples: List[Example] = field(default_factory=list)
    blocks: Dict[str, List[Loc]] = field(default_factory=dict)  # intent key -> its blocks
    problems: List[Problem] = field(default_factory=list)
    has_domain: bool = False


def _index_domain(index: Index, project: Project) -> None:
    for doc in project.docs_with("responses"):
        for name, variations in mapping_items(doc.data.get("responses")):
            index.responses.setdefault(
                str(name),
                Response(str(name), doc.rel, line_of(doc.data["responses"], name), variations),
            )
    for doc in project.domain:
        index.has_domain = True
        data = doc.data
        for key, target in (
            ("intents", index.intents),
            ("entities", index.entities),
            ("actions", index.actions),
        ):
            for name, line in names_in(data.get(key)):
                target.setdefault(name, (doc.rel, line))
        for name, spec in mapping_items(data.get("slots")):
            index.slots.setdefault(str(name), spec)
            index.slot_locs.setdefault(str(name), (doc.rel, line_of(data["slots"], name)))
        for name, spec in mapping_items(data.get("forms")):
            index.forms.setdefault(str(name), spec)
            index.form_locs.setdefault(str(name), (doc.rel, line_of(data["forms"], name)))


def _bad_annotation(rel: str, line: Optional[int], raw: str, why: str) -> Problem:
    return error(
        "bad_annotation",
        rel,
        line,
        f"The entity marking in {excerpt(raw)} cannot be read: {why}.",
        f"{excerpt(raw)} উদাহরণে এনটিটি চিহ্নিত করার লেখাটি পড়া যাচ্ছে না: {why}।",
        'Write an entity as [the words](entity_name) or [the words]{"entity": "entity_name", '
        '"value": "the value"}, with straight double quotes.',
        'এনটিটি লিখুন এভাবে: [শব্দগুলো](entity_name) অথবা [শব্দগুলো]{"entity": "entity_name", '
        '"value": "মান"} — সোজা ডাবল কোটেশন (") দিয়ে।',
    )


def _examples_of(index: Index, rel: str, item: Any, key: str) -> None:
    block = item.get("examples")
    if not isinstance(block, str):
        index.problems.append(
            error(
                "bad_structure",
                rel,
                line_of(item, "examples") or line_of(item),
                f"The examples of «{key}» must be a block of lines starting with '- ' under "
                "'examples: |'.",
                f"«{key}»-এর উদাহরণগুলো 'examples: |'-এর নিচে '- ' দিয়ে শুরু হওয়া লাইনে লিখতে হবে।",
                "Write 'examples: |' and then one example per line, each starting with '- ', "
                "indented by four spaces.",
                "'examples: |' লিখে তার নিচে প্রতি লাইনে একটি করে উদাহরণ দিন, প্রতিটি '- ' দিয়ে শুরু, "
                "চার স্পেস ভেতরে।",
            )
        )
        return
    # A literal block starts on the line after "examples: |": its n-th line is at start + n.
    start = line_of(item, "examples")
    for offset, raw_line in enumerate(block.split("\n")):
        stripped = raw_line.strip()
        if not stripped.startswith("-"):
            continue
        raw = stripped[1:].strip()
        line = start + 1 + offset if start else None
        entities: List[str] = []
        try:
            text = entities_parser.replace_entities(raw)
            entities = [
                str(e.get("entity")) for e in entities_parser.find_entities_in_training_example(raw)
            ]
        except Exception as exc:  # noqa: BLE001 - Rasa's parser raises several kinds
            index.problems.append(_bad_annotation(rel, line, raw, str(exc)[:120]))
            text = raw
        index.examples.append(Example(key, text, raw, rel, line, entities))


def _index_nlu(index: Index, project: Project) -> None:
    for doc in project.docs_with("nlu"):
        nlu = doc.data.get("nlu")
        if not isinstance(nlu, list):
            index.problems.append(
                error(
                    "bad_structure",
                    doc.rel,
                    line_of(doc.data, "nlu"),
                    "'nlu:' must be followed by a list of blocks ('- intent: ...').",
                    "'nlu:'-এর নিচে '- intent: ...' ধরনের ব্লকের তালিকা থাকতে হবে।",
                    "Start each block with '- intent: <name>' and its 'examples: |' below it.",
                    "প্রতিটি ব্লক '- intent: <নাম>' দিয়ে শুরু করুন, তার নিচে 'examples: |'।",
                )
            )
            continue
        for position, item in seq_items(nlu):
            if not isinstance(item, dict) or "intent" not in item:
                continue  # lookup tables, synonyms and regexes are not intents
            key = str(item.get("intent") or "").strip()
            loc = (doc.rel, line_of(item, "intent") or line_of(nlu, index=position))
            index.blocks.setdefault(key, []).append(loc)
            _examples_of(index, doc.rel, item, key)


def build_index(project: Project) -> Index:
    index = Index()
    _index_domain(index, project)
    _index_nlu(index, project)
    return index


def faq_keys(index: Index) -> Dict[str, List[Loc]]:
    """Retrieval-intent keys (faq/delivery_time, ...) that have NLU examples."""
    return {key: locs for key, locs in index.blocks.items() if "/" in key}
