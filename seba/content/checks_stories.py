"""Every name that rules, stories, forms, slot mappings and actions use exists in the domain.

- unknown_intent / unknown_entity / unknown_action / unknown_form / unknown_slot /
  bad_slot_value: a rule or story (data/rules.yml, data/stories.yml) or the domain names
  something domain.yml does not declare;
- missing_response: an ``utter_*`` action, a form's question, a FAQ key or a custom action
  (actions/*.py) needs a response that domain.yml does not have;
- unused_answer (warning): an FAQ answer no examples lead to.
"""

import re
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, DEFAULT_SLOT_NAMES

from seba import PROJECT_ROOT
from seba.content.checks_nlu import unknown_entity
from seba.content.index import Index
from seba.content.problems import Problem, error, warning
from seba.content.project import Project, line_of, mapping_items, seq_items

_ACTION_RESPONSE = re.compile(r"""["'](utter_[a-z0-9_]+)["']""")
NOT_A_RESPONSE = {"utter_action"}  # Rasa's metadata key on bot events


def _unknown(kind_en, kind_bn, list_key, name, file, line, check) -> Problem:
    return error(
        check,
        file,
        line,
        f"The {kind_en} «{name}» is not in domain.yml.",
        f"«{name}» নামের {kind_bn} domain.yml-এ নেই।",
        f"Check the spelling of «{name}» against domain.yml's '{list_key}:' list, or add it there.",
        f"domain.yml-এর '{list_key}:' তালিকার সাথে «{name}» নামের বানান মিলিয়ে দেখুন, অথবা সেখানে যোগ করুন।",
    )


def _missing_response(name, file, line, why_en, why_bn) -> Problem:
    return error(
        "missing_response",
        file,
        line,
        f"{why_en} needs the response «{name}», which domain.yml does not have.",
        f"{why_bn} «{name}» উত্তরটি লাগবে, কিন্তু domain.yml-এ এটি নেই।",
        f"Add «{name}» under 'responses:' in domain.yml (Bangla text first, then the English "
        "variation), or correct the name.",
        f"domain.yml-এর 'responses:'-এর নিচে «{name}» যোগ করুন (আগে বাংলা, তারপর ইংরেজি), অথবা "
        "নামটি ঠিক করুন।",
    )


class _Refs:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.problems: List[Problem] = []

    def intent(self, name: Any, file: str, line: Optional[int]) -> None:
        name = str(name)
        base = name.split("/", 1)[0]
        if base not in self.index.intents and base not in DEFAULT_INTENTS:
            self.problems.append(
                _unknown("intent", "ইনটেন্ট", "intents", name, file, line, "unknown_intent")
            )
        elif "/" in name and name not in self.index.blocks:
            self.problems.append(
                error(
                    "unknown_intent",
                    file,
                    line,
                    f"«{name}» has no examples in data/nlu/, so the bot never recognises it.",
                    f"data/nlu/-এ «{name}»-এর কোনো উদাহরণ নেই, তাই বট এটি কখনো চিনবে না।",
                    f"Check the FAQ key's spelling against data/nlu/faq.yml, or add '- "
                    f"intent: {name}' "
                    "with examples there.",
                    f"data/nlu/faq.yml-এর সাথে FAQ কী-এর বানান মিলিয়ে দেখুন, অথবা সেখানে উদাহরণসহ "
                    f"'- intent: {name}' যোগ করুন।",
                )
            )

    def action(self, name: Any, file: str, line: Optional[int]) -> None:
        name = str(name)
        index = self.index
        if name in index.actions or name in index.forms or name in DEFAULT_ACTION_NAMES:
            if not name.startswith("utter_"):
                return
        if name.startswith("utter_"):
            if name in index.responses or any(r.startswith(name + "/") for r in index.responses):
                return
            self.problems.append(_missing_response(name, file, line, "This step", "এই ধাপে"))
            return
        self.problems.append(
            _unknown("action", "অ্যাকশন", "actions", name, file, line, "unknown_action")
        )

    def form(self, name: Any, file: str, line: Optional[int]) -> None:
        if name is not None and str(name) not in self.index.forms:
            self.problems.append(_unknown("form", "ফর্ম", "forms", name, file, line, "unknown_form"))

    def slots(self, node: Any, file: str) -> None:
        for position, item in seq_items(node):
            pairs = item.items() if isinstance(item, dict) else [(item, None)]
            for slot, value in pairs:
                self.slot(
                    str(slot), value, file, line_of(node, index=position), isinstance(item, dict)
                )

    def slot(self, slot: str, value: Any, file: str, line, has_value: bool) -> None:
        index = self.index
        if slot in DEFAULT_SLOT_NAMES:
            return
        if slot not in index.slots:
            self.problems.append(_unknown("slot", "স্লট", "slots", slot, file, line, "unknown_slot"))
            return
        spec = index.slots[slot] if isinstance(index.slots[slot], dict) else {}
        allowed = spec.get("values") if spec.get("type") == "categorical" else None
        if has_value and value is not None and allowed is not None:
            if str(value).lower() not in {str(v).lower() for v in allowed}:
                choices = ", ".join(str(v) for v in allowed)
                self.problems.append(
                    error(
                        "bad_slot_value",
                        file,
                        line,
                        f"The slot «{slot}» cannot be «{value}»; it is one of: {choices}.",
                        f"«{slot}» স্লটের মান «{value}» হতে পারে না; এর মান এগুলোর একটি: {choices}।",
                        f"Use one of {choices} (as written in domain.yml).",
                        f"{choices} — এগুলোর একটি লিখুন (domain.yml-এ যেভাবে লেখা)।",
                    )
                )

    def entities(self, node: Any, file: str, default_line) -> None:
        for position, item in seq_items(node):
            line = line_of(node, index=position) or default_line
            if isinstance(item, dict):
                names = [item["entity"]] if "entity" in item else list(item)
            else:
                names = [item]
            for name in names:
                if str(name) not in self.index.entities:
                    self.problems.append(unknown_entity(str(name), file, line))

    def step(self, step: Any, file: str, line: Optional[int]) -> None:
        if not isinstance(step, dict):
            return
        if "intent" in step:
            self.intent(step["intent"], file, line_of(step, "intent") or line)
            self.entities(step.get("entities"), file, line)
        if "action" in step:
            self.action(step["action"], file, line_of(step, "action") or line)
        if "active_loop" in step:
            self.form(step["active_loop"], file, line_of(step, "active_loop") or line)
        if "slot_was_set" in step:
            self.slots(step["slot_was_set"], file)
        for position, alternative in seq_items(step.get("or")):
            self.step(alternative, file, line_of(step["or"], index=position))


def blocks(project: Project) -> Iterator[Tuple[str, Any]]:
    for key in ("rules", "stories"):
        for doc in project.docs_with(key):
            for _, block in seq_items(doc.data.get(key)):
                if isinstance(block, dict):
                    yield doc.rel, block


def check_rules_and_stories(project: Project, index: Index) -> List[Problem]:
    refs = _Refs(index)
    for file, block in blocks(project):
        for position, step in seq_items(block.get("condition")):
            refs.step(step, file, line_of(block["condition"], index=position))
        for position, step in seq_items(block.get("steps")):
            refs.step(step, file, line_of(block["steps"], index=position))
    return refs.problems


def check_domain(index: Index) -> List[Problem]:
    refs = _Refs(index)
    for name, (file, line) in index.actions.items():
        if name.startswith("utter_"):
            refs.action(name, file, line)
    for form, spec in index.forms.items():
        file, line = index.form_locs[form]
        required = spec.get("required_slots") if isinstance(spec, dict) else None
        for position, slot in seq_items(required):
            slot_line = line_of(required, index=position) or line
            refs.slot(str(slot), None, file, slot_line, False)
            asks = {
                f"utter_ask_{form}_{slot}",
                f"utter_ask_{slot}",
                f"action_ask_{form}_{slot}",
                f"action_ask_{slot}",
            }
            if not asks & (set(index.responses) | set(index.actions)):
                refs.problems.append(
                    _missing_response(
                        f"utter_ask_{slot}",
                        file,
                        slot_line,
                        f"The form «{form}», to ask for «{slot}»,",
                        f"«{form}» ফর্মে «{slot}» জানতে চাওয়ার জন্য",
                    )
                )
    for slot, spec in index.slots.items():
        file = index.slot_locs[slot][0]
        mappings = spec.get("mappings") if isinstance(spec, dict) else None
        for _, mapping in seq_items(mappings):
            for key, value in mapping_items(mapping):
                line = line_of(mapping, key)
                if key == "entity":
                    refs.entities([value], file, line)
                elif key in ("intent", "not_intent"):
                    names = value if isinstance(value, list) else [value]
                    for name in names:
                        refs.intent(name, file, line)
            for _, condition in seq_items(
                mapping.get("conditions") if isinstance(mapping, dict) else None
            ):
                if isinstance(condition, dict) and condition.get("active_loop"):
                    refs.form(condition["active_loop"], file, line_of(condition, "active_loop"))
    return refs.problems


def check_faq_answers(index: Index) -> List[Problem]:
    problems = []
    for key, locs in index.blocks.items():
        if "/" in key and f"utter_{key}" not in index.responses:
            problems.append(
                _missing_response(
                    f"utter_{key}",
                    locs[0][0],
                    locs[0][1],
                    f"The FAQ key «{key}»",
                    f"«{key}» FAQ-এর জন্য",
                )
            )
    for name, response in index.responses.items():
        key = name[len("utter_") :]
        if name.startswith("utter_") and "/" in key and key not in index.blocks:
            problems.append(
                warning(
                    "unused_answer",
                    response.file,
                    response.line,
                    f"No examples lead to the answer «{name}»: data/nlu/ has no «{key}».",
                    f"«{name}» উত্তরে পৌঁছানোর কোনো উদাহরণ নেই: data/nlu/-এ «{key}» নেই।",
                    f"Add '- intent: {key}' with examples to data/nlu/faq.yml, or "
                    f"delete the answer "
                    "if the FAQ is gone (check the key's spelling first).",
                    f"data/nlu/faq.yml-এ উদাহরণসহ '- intent: {key}' যোগ করুন, অথবা FAQ-টি আর না "
                    "থাকলে উত্তরটি মুছে দিন (আগে কী-এর বানান মিলিয়ে নিন)।",
                )
            )
    return problems


def check_action_code(root: Path, index: Index) -> List[Problem]:
    """Responses the custom actions say by name: the checked project's own actions/, or
    (a candidate copy of data and domain) those of our actions/ files that implement one of
    its domain's actions — the code that will run with it."""
    own = (root / "actions").is_dir()
    folder = root / "actions" if own else PROJECT_ROOT / "actions"
    declared = {name for name in index.actions if not name.startswith("utter_")}
    problems = []
    for path in sorted(folder.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not own and not declared & set(re.findall(r"""["']([a-z0-9_]+)["']""", text)):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for name in _ACTION_RESPONSE.findall(line):
                if name not in index.responses and name not in NOT_A_RESPONSE:
                    problems.append(
                        _missing_response(
                            name,
                            f"actions/{path.name}",
                            number,
                            f"The custom action code (actions/{path.name})",
                            f"অ্যাকশনের কোডে (actions/{path.name})",
                        )
                    )
    return problems


def run(project: Project, index: Index) -> List[Problem]:
    if not index.has_domain:
        return []
    return (
        check_rules_and_stories(project, index)
        + check_domain(index)
        + check_faq_answers(index)
        + check_action_code(project.root, index)
    )
