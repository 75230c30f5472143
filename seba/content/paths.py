"""The conversation paths (``data/rules.yml`` rules, ``data/stories.yml`` stories) as steps
content staff can read: what the customer says (the intent, with two of its examples),
what the bot answers (the answer's Bangla text) or does, what it remembers, and when a
form starts or ends. Read-only: changing a path is a developer's job (and the checks'
``make check-content``)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from seba.content.answers import answers, preview
from seba.content.files import inside, read_text
from seba.content.training_files import intent_blocks, plain
from seba.text import mask_phones

FILES = (("data/rules.yml", "rules", "rule"), ("data/stories.yml", "stories", "story"))


@dataclass(frozen=True)
class Step:
    kind: str  # customer / bot / action / form / memory / condition
    text: str
    detail: Tuple[str, ...] = ()  # examples of an intent, buttons of an answer


@dataclass(frozen=True)
class Path_:
    kind: str  # rule / story
    name: str
    file: str
    steps: Tuple[Step, ...]


def _slot_text(item: Any) -> str:
    if isinstance(item, dict):
        return ", ".join(f"{k} = {v}" for k, v in item.items())
    return str(item)


def _step(raw: Dict[str, Any], examples: Dict[str, Tuple[str, ...]],
          texts: Dict[str, Tuple[str, Tuple[str, ...]]]) -> Optional[Step]:
    if "intent" in raw:
        intent = str(raw["intent"])
        shown = tuple(plain(e) for e in examples.get(intent, ())[:2])
        if intent == "faq":
            shown = ("any FAQ question (the answer is the one for its FAQ key)",)
        entities = raw.get("entities") or []
        extra = (f" with {mask_phones(', '.join(_slot_text(e) for e in entities))}"
                 if entities else "")
        return Step("customer", f"Customer: {intent.replace('_', ' ')}{extra}", shown)
    if "action" in raw:
        action = str(raw["action"])
        if action in texts:
            text, buttons = texts[action]
            return Step("bot", f"Bot says ({action}): {text}", buttons)
        if action == "utter_faq":
            return Step("bot", "Bot says: the answer of the FAQ asked (utter_faq/<key>)")
        if action.endswith("_form"):
            return Step("form", f"Bot asks the questions of {action.replace('_', ' ')}")
        return Step("action", f"Bot runs {action}")
    if "active_loop" in raw:
        loop = raw["active_loop"]
        return Step("form", f"Form {loop} is active" if loop else "The form is finished")
    if "slot_was_set" in raw:
        return Step("memory", "Bot remembers " + "; ".join(
            _slot_text(s) for s in raw["slot_was_set"] or []))
    if "or" in raw:
        options = [o.get("intent") for o in raw["or"] or [] if isinstance(o, dict)]
        return Step("customer", "Customer: " + " or ".join(str(o).replace("_", " ")
                                                           for o in options if o))
    if "checkpoint" in raw:
        return Step("condition", f"Continues from {raw['checkpoint']}")
    return None


def _conditions(raw: Dict[str, Any]) -> List[Step]:
    found = []
    for c in raw.get("condition") or []:
        if isinstance(c, dict) and "active_loop" in c:
            found.append(Step("condition", f"Only while {c['active_loop']} is active"
                              if c["active_loop"] else "Only when no form is active"))
        elif isinstance(c, dict) and "slot_was_set" in c:
            found.append(Step("condition", "Only when " + "; ".join(
                _slot_text(s) for s in c["slot_was_set"] or [])))
    if raw.get("conversation_start"):
        found.append(Step("condition", "Only at the start of a conversation"))
    return found


def _filled(text: str) -> str:
    try:
        return preview(text, "bn")
    except Exception:  # noqa: BLE001 - unreadable shop.yml: the text as written
        return text


def conversation_paths(root: Path) -> List[Path_]:
    examples = {label: block.examples for label, block in intent_blocks(root).items()}
    texts = {a.name: (_filled(a.bn.text), a.bn.buttons) for a in answers(root) if a.bn}
    found: List[Path_] = []
    for file, section, kind in FILES:
        path = inside(root, file)
        if not path.exists():
            continue
        data = yaml.safe_load(read_text(path)) or {}
        for raw in data.get(section) or []:
            if not isinstance(raw, dict):
                continue
            steps = _conditions(raw) + [s for s in (_step(r, examples, texts)
                                                   for r in raw.get("steps") or []
                                                   if isinstance(r, dict)) if s]
            found.append(Path_(kind, str(raw.get(kind, "")), file, tuple(steps)))
    return found
