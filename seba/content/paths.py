"""The conversation paths (``data/rules.yml`` rules, ``data/stories.yml`` stories) as steps
content staff can read: what the customer says (the intent, with two of its examples),
what the bot answers (the answer's Bangla text) or does, what it remembers, and when a
form starts or ends. Read-only: changing a path is a developer's job (and the checks'
``make check-content``)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from seba.content import N_
from seba.content.answers import answers, preview
from seba.content.files import inside, read_text
from seba.content.training_files import intent_blocks, plain
from seba.text import mask_phones

FILES = (("data/rules.yml", "rules", "rule"), ("data/stories.yml", "stories", "story"))


@dataclass(frozen=True)
class Step:
    kind: str  # customer / bot / action / form / memory / condition
    text: str  # in English; the console shows msgid % values in its language
    detail: Tuple[str, ...] = ()  # examples of an intent, buttons of an answer
    msgid: str = ""
    values: Tuple[Tuple[str, str], ...] = ()
    detail_is_msgid: bool = False  # the detail is the console's words, not the content's


def _said(kind: str, msgid: str, detail: Tuple[str, ...] = (), **values: str) -> Step:
    return Step(kind, msgid % values if values else msgid, detail, msgid, tuple(values.items()))


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


def _step(
    raw: Dict[str, Any],
    examples: Dict[str, Tuple[str, ...]],
    texts: Dict[str, Tuple[str, Tuple[str, ...]]],
) -> Optional[Step]:
    if "intent" in raw:
        intent = str(raw["intent"])
        shown = tuple(plain(e) for e in examples.get(intent, ())[:2])
        entities = raw.get("entities") or []
        name = intent.replace("_", " ")
        step = (
            _said(
                "customer",
                N_("Customer: %(intent)s with %(values)s"),
                shown,
                intent=name,
                values=mask_phones(", ".join(_slot_text(e) for e in entities)),
            )
            if entities
            else _said("customer", N_("Customer: %(intent)s"), shown, intent=name)
        )
        if intent == "faq":
            faq = (N_("any FAQ question (the answer is the one for its FAQ key)"),)
            step = Step(step.kind, step.text, faq, step.msgid, step.values, True)
        return step
    if "action" in raw:
        action = str(raw["action"])
        if action in texts:
            text, buttons = texts[action]
            return _said(
                "bot", N_("Bot says (%(action)s): %(text)s"), buttons, action=action, text=text
            )
        if action == "utter_faq":
            return _said("bot", N_("Bot says: the answer of the FAQ asked (utter_faq/<key>)"))
        if action.endswith("_form"):
            return _said(
                "form", N_("Bot asks the questions of %(form)s"), form=action.replace("_", " ")
            )
        return _said("action", N_("Bot runs %(action)s"), action=action)
    if "active_loop" in raw:
        loop = raw["active_loop"]
        return (
            _said("form", N_("Form %(form)s is active"), form=str(loop))
            if loop
            else _said("form", N_("The form is finished"))
        )
    if "slot_was_set" in raw:
        return _said(
            "memory",
            N_("Bot remembers %(slots)s"),
            slots="; ".join(_slot_text(s) for s in raw["slot_was_set"] or []),
        )
    if "or" in raw:
        options = [o.get("intent") for o in raw["or"] or [] if isinstance(o, dict)]
        return _said(
            "customer",
            N_("Customer: %(intent)s"),
            intent=" or ".join(str(o).replace("_", " ") for o in options if o),
        )
    if "checkpoint" in raw:
        return _said(
            "condition", N_("Continues from %(checkpoint)s"), checkpoint=str(raw["checkpoint"])
        )
    return None


def _conditions(raw: Dict[str, Any]) -> List[Step]:
    found = []
    for c in raw.get("condition") or []:
        if isinstance(c, dict) and "active_loop" in c:
            found.append(
                _said("condition", N_("Only while %(form)s is active"), form=str(c["active_loop"]))
                if c["active_loop"]
                else _said("condition", N_("Only when no form is active"))
            )
        elif isinstance(c, dict) and "slot_was_set" in c:
            found.append(
                _said(
                    "condition",
                    N_("Only when %(slots)s"),
                    slots="; ".join(_slot_text(s) for s in c["slot_was_set"] or []),
                )
            )
    if raw.get("conversation_start"):
        found.append(_said("condition", N_("Only at the start of a conversation")))
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
            steps = _conditions(raw) + [
                s
                for s in (
                    _step(r, examples, texts) for r in raw.get("steps") or [] if isinstance(r, dict)
                )
                if s
            ]
            found.append(Path_(kind, str(raw.get(kind, "")), file, tuple(steps)))
    return found
