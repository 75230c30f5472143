"""A new FAQ from the console, without touching YAML: its key, examples in the three
varieties, its answer in Bangla and English.

Two edits, made together or not at all (``files.perform``): a new block ``faq/<key>`` at
the end of ``data/nlu/faq.yml`` (Bangla, then English, then Banglish examples, like every
block there) and a new response ``utter_faq/<key>`` at the end of ``domain.yml`` (Bangla
default, English variation). The existing rule ``intent: faq -> utter_faq`` answers it:
no rule to write. Both are appended as text (scalars written as JSON strings, which YAML
reads as double-quoted strings), and each file is checked before it is written: the old
file is the new one minus the appended lines, Rasa reads the new examples and the answer
back exactly. Undo removes exactly the appended text again.
"""

import json
import re
from pathlib import Path
from typing import Dict, List, Sequence

from seba.content import N_
from seba.content import answers as answers_mod
from seba.content import training_files as tf
from seba.content.files import ContentError, Edit, inside, read_text
from seba.language import detect_variety

DOMAIN = answers_mod.DOMAIN
VARIETIES = {"bn": "Bangla", "en": "English", "banglish": "Banglish"}
#: As many examples as the project's data checks ask of every FAQ key
#: (tests/test_training_data.py MINIMUM): fewer and the retrain is refused.
MINIMUM_EXAMPLES = {"bn": 15, "en": 10, "banglish": 10}
_KEY = re.compile(r"[a-z][a-z0-9_]{2,39}")
# One message per variety, so the console can show it whole in Bangla (seba.content.N_).
_REFUSED = {
    "bn": N_("Bangla example %(n)s: %(why)s"),
    "en": N_("English example %(n)s: %(why)s"),
    "banglish": N_("Banglish example %(n)s: %(why)s"),
}
_SCRIPT = {
    "bn": N_("Bangla example %(n)s (“%(example)s”) is not written in Bangla script."),
    "en": N_("English example %(n)s (“%(example)s”) is not written in Latin letters."),
    "banglish": N_("Banglish example %(n)s (“%(example)s”) is not written in Latin letters."),
}
_KNOWN = {
    "bn": N_("Bangla example %(n)s (“%(example)s”): the bot already has it, under %(owner)s."),
    "en": N_("English example %(n)s (“%(example)s”): the bot already has it, under %(owner)s."),
    "banglish": N_(
        "Banglish example %(n)s (“%(example)s”): the bot already has it, under %(owner)s."
    ),
}
_TWICE = {
    "bn": N_("Bangla example %(n)s (“%(example)s”) is written twice."),
    "en": N_("English example %(n)s (“%(example)s”) is written twice."),
    "banglish": N_("Banglish example %(n)s (“%(example)s”) is written twice."),
}
_FEW = {
    "bn": N_(
        "Write at least %(minimum)s Bangla examples, one per line (there are "
        "%(count)s): customers ask the same thing in many ways."
    ),
    "en": N_(
        "Write at least %(minimum)s English examples, one per line (there are "
        "%(count)s): customers ask the same thing in many ways."
    ),
    "banglish": N_(
        "Write at least %(minimum)s Banglish examples, one per line (there are "
        "%(count)s): customers ask the same thing in many ways."
    ),
}


def clean_key(key: str) -> str:
    key = (key or "").strip().lower().replace(" ", "_").replace("-", "_")
    if not _KEY.fullmatch(key):
        raise ContentError(
            N_(
                "The FAQ's key is 3 to 40 small English letters, digits or _ "
                "(for example: gift_wrapping), starting with a letter."
            )
        )
    return key


def clean_examples(typed: Dict[str, str], root: Path) -> Dict[str, List[str]]:
    """One example per line, per variety; every problem named with its line."""
    found: Dict[str, List[str]] = {}
    seen = set()
    for variety in VARIETIES:
        lines = [line for line in (typed.get(variety) or "").splitlines() if line.strip()]
        examples = []
        for n, line in enumerate(lines, 1):
            try:
                example = tf.example_text(line)
            except ContentError as exc:
                raise ContentError(_REFUSED[variety], n=n, why=exc) from None
            variety_of = detect_variety(example)
            if (variety == "bn") != (variety_of == "bn"):
                raise ContentError(_SCRIPT[variety], n=n, example=example[:60])
            norm = tf.normalised(example)
            owner = tf.example_owner(root, example)
            if owner:
                raise ContentError(_KNOWN[variety], n=n, example=example[:60], owner=owner)
            if norm in seen:
                raise ContentError(_TWICE[variety], n=n, example=example[:60])
            seen.add(norm)
            examples.append(example)
        if len(examples) < MINIMUM_EXAMPLES[variety]:
            raise ContentError(
                _FEW[variety], minimum=MINIMUM_EXAMPLES[variety], count=len(examples)
            )
        found[variety] = examples
    return found


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _append(root: Path, file: str, snippet: str, op: Dict) -> Edit:
    before = read_text(inside(root, file))
    if not before.endswith("\n"):
        raise ContentError(f"{file} does not end with a line break; nothing was written.")
    return Edit(file, before, before + snippet, op)


def _remove(root: Path, file: str, snippet: str, op: Dict) -> Edit:
    before = read_text(inside(root, file))
    if not before.endswith(snippet):
        raise ContentError(
            f"{file} changed after the FAQ was added; undo it by hand (the "
            "change list shows what was added)."
        )
    return Edit(file, before, before[: len(before) - len(snippet)], op)


def _check_nlu(after: str, label: str, examples: Sequence[str]) -> None:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(after)
    read = [
        m.get("text")
        for m in data.intent_examples
        if (m.get("intent_response_key") or m.get("intent")) == label
    ]
    if read != list(examples):
        raise ContentError(N_("Rasa would not read the examples as written; nothing was written."))


def _check_domain(after: str, name: str, bn: str, en: str) -> None:
    from rasa.shared.core.domain import Domain

    read = Domain.from_yaml(after).responses.get(name) or []
    if [v.get("text") for v in read] != [bn, en]:
        raise ContentError(N_("Rasa would not read the answer as written; nothing was written."))


def faq_steps(root: Path, key: str, typed_examples: Dict[str, str], bn: str, en: str):
    """The two steps (``files.perform``) that add the FAQ, or ContentError saying why not."""
    key = clean_key(key)
    label, name = f"{tf.FAQ}/{key}", f"utter_{tf.FAQ}/{key}"
    if label in tf.intent_blocks(root):
        raise ContentError(
            N_(
                "There is an FAQ %(key)s already: add examples to it from the "
                "review page, or pick another key."
            ),
            key=key,
        )
    if any(a.name == name for a in answers_mod.answers(root)):
        raise ContentError(N_("There is an answer %(name)s already; pick another key."), name=name)
    examples = clean_examples(typed_examples, root)
    bn_text = answers_mod.clean_answer(bn, "bn", "")
    en_text = answers_mod.clean_answer(en, "en", "")
    ordered = examples["bn"] + examples["en"] + examples["banglish"]
    nlu = f"\n- intent: {label}\n  examples: |\n" + "".join(f"    - {e}\n" for e in ordered)
    domain = (
        f"\n  {name}:\n  - text: {_q(bn_text)}\n  - text: {_q(en_text)}\n"
        "    condition:\n    - type: slot\n      name: language\n      value: en\n"
    )

    def add_examples() -> Edit:
        edit = _append(
            root,
            tf.FAQ_FILE,
            nlu,
            {"op": "add_faq_examples", "file": tf.FAQ_FILE, "label": label, "snippet": nlu},
        )
        _check_nlu(edit.after, label, ordered)
        return edit

    def add_answer() -> Edit:
        edit = _append(
            root,
            DOMAIN,
            domain,
            {"op": "add_faq_answer", "file": DOMAIN, "name": name, "snippet": domain},
        )
        _check_domain(edit.after, name, bn_text, en_text)
        return edit

    return key, [add_examples, add_answer]


def _register() -> None:
    from seba.content import changes

    def plan(op_name: str, adding: bool):
        def run(root: Path, op: Dict) -> Edit:
            out = {**op, "op": op_name}
            return (_append if adding else _remove)(root, op["file"], op["snippet"], out)

        return run

    for kind in ("examples", "answer"):
        add, remove = f"add_faq_{kind}", f"remove_faq_{kind}"
        changes.register(add, plan(add, True), lambda op, r=remove: {**op, "op": r})
        changes.register(remove, plan(remove, False), lambda op, a=add: {**op, "op": a})


_register()
