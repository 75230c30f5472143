"""The bot's answers (``domain.yml`` ``responses``) as content staff edit them: the Bangla
text (the default variation) and the English one (``condition: language = en``), and a
preview as the customer sees it.

- ``answers(root)``: every response with its Bangla and English text and buttons;
- ``preview(text, language)``: the text with the shop's values filled in from ``shop.yml``
  (Bengali digits in Bangla, like ``seba.nlg.SebaNLG`` does), values only known in a
  conversation (``{order_number}``) shown as ``‹order_number›``;
- ``set_answer(root, name, bn, en)``: the change (an ``Edit``), written through
  ruamel.yaml's round trip. It must change only the text lines of that response, keep
  every ``{placeholder}`` the text may use, and Rasa must load the domain and read the new
  texts back; otherwise nothing is written.

The operation recorded (``{"op": "set_answer", "name", "before", "after"}``) undoes by
swapping before and after, and refuses when the text changed meanwhile.
"""

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from seba import inbound
from seba.content import N_
from seba.content.files import ContentError, Edit, dump, inside, load, read_text

DOMAIN = "domain.yml"
LANGUAGES = ("bn", "en")
MAX_ANSWER_CHARS = 1500
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NAME = re.compile(r"utter_[a-z0-9_]+(/[a-z0-9_]+)?")


@dataclass(frozen=True)
class Variation:
    text: str
    buttons: Tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    name: str
    bn: Optional[Variation]
    en: Optional[Variation]


def _language_of(variation: Dict[str, Any]) -> Optional[str]:
    conditions = variation.get("condition") or []
    if not conditions:
        return "bn"
    for c in conditions:
        if isinstance(c, dict) and c.get("name") == "language":
            return str(c.get("value"))
    return None


def _buttons(variation: Dict[str, Any]) -> Tuple[str, ...]:
    return tuple(
        str(b.get("title"))
        for b in (variation.get("buttons") or variation.get("quick_replies") or [])
        if isinstance(b, dict) and b.get("title")
    )


def answers(root: Path) -> List[Answer]:
    data = yaml.safe_load(read_text(inside(root, DOMAIN))) or {}
    found = []
    for name, variations in (data.get("responses") or {}).items():
        by_language: Dict[str, Variation] = {}
        for v in variations or []:
            language = _language_of(v) if isinstance(v, dict) else None
            if language in LANGUAGES and language not in by_language and "text" in v:
                by_language[language] = Variation(str(v["text"]), _buttons(v))
        found.append(Answer(name, by_language.get("bn"), by_language.get("en")))
    return found


def get_answer(root: Path, name: str) -> Answer:
    if not _NAME.fullmatch(name or ""):
        raise ContentError(N_("There is no such answer. Pick one from the list."))
    for answer in answers(root):
        if answer.name == name:
            return answer
    raise ContentError(N_("There is no such answer. Pick one from the list."))


def placeholders(text: str) -> List[str]:
    try:
        return [
            field
            for _lit, field, _spec, _conv in string.Formatter().parse(text)
            if field is not None
        ]
    except ValueError:
        return ["{"]  # an unmatched brace


def preview(text: str, language: str) -> str:
    """``text`` as the customer will read it."""
    from seba.settings import load_settings

    values = load_settings().template_vars(language)
    return re.sub(r"\{([A-Za-z0-9_]*)\}", lambda m: values.get(m.group(1), f"‹{m.group(1)}›"), text)


# One message per language, so the console can show it whole in Bangla (seba.content.N_).
_EMPTY = {"bn": N_("The Bangla answer is empty."), "en": N_("The English answer is empty.")}
_LONG = {
    "bn": N_("The Bangla answer is longer than %(limit)s characters."),
    "en": N_("The English answer is longer than %(limit)s characters."),
}
_BRACE = {
    "bn": N_(
        "The Bangla answer has a { or } that is not a value like {shop_name}. "
        "Remove it, or write the value's name between them."
    ),
    "en": N_(
        "The English answer has a { or } that is not a value like {shop_name}. "
        "Remove it, or write the value's name between them."
    ),
}
_UNKNOWN = {
    "bn": N_(
        "The Bangla answer uses {%(value)s}, which the bot does not know here. "
        "Use one of the values shown under the answer."
    ),
    "en": N_(
        "The English answer uses {%(value)s}, which the bot does not know here. "
        "Use one of the values shown under the answer."
    ),
}


def clean_answer(text: Any, language: str, old: str) -> str:
    """The typed answer, cleaned (line breaks kept), or ContentError saying why not."""
    value = inbound.clean(str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value.replace("\t", " ")).strip()
    which = "bn" if language == "bn" else "en"
    if not value:
        raise ContentError(_EMPTY[which])
    if len(value) > MAX_ANSWER_CHARS:
        raise ContentError(_LONG[which], limit=MAX_ANSWER_CHARS)
    used = placeholders(value)
    if "{" in used or any(p and not re.fullmatch(r"[A-Za-z0-9_]+", p) for p in used):
        raise ContentError(_BRACE[which])
    from seba.settings import load_settings

    known = set(load_settings().template_vars(language)) | set(placeholders(old))
    unknown = sorted({p for p in used if p not in known})
    if unknown:
        raise ContentError(_UNKNOWN[which], value=unknown[0])
    return value


def _variation(response, language: str):
    for v in response:
        if hasattr(v, "get") and _language_of(v) == language and "text" in v:
            return v
    raise ContentError(f"This answer has no {language} text to edit.")


def _plan(root: Path, name: str, before: Dict[str, str], after: Dict[str, str]) -> Edit:
    path = inside(root, DOMAIN)
    old_file = read_text(path)
    data = load(old_file)
    response = (data.get("responses") or {}).get(name)
    if response is None:
        raise ContentError(N_("There is no such answer any more (changed meanwhile?)."))
    for language in LANGUAGES:
        variation = _variation(response, language)
        if str(variation["text"]) != before[language]:
            raise ContentError(
                N_("Someone changed this answer meanwhile; nothing was written. Reload the page.")
            )
        variation["text"] = DoubleQuotedScalarString(after[language])
    new_file = dump(data)
    _check(old_file, new_file, name, after)
    return Edit(
        DOMAIN,
        old_file,
        new_file,
        {"op": "set_answer", "file": DOMAIN, "name": name, "before": before, "after": after},
    )


def _check(old_file: str, new_file: str, name: str, after: Dict[str, str]) -> None:
    from rasa.shared.core.domain import Domain

    old, new = old_file.splitlines(), new_file.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
    if (
        len(old) != len(new)
        or len(changed) > 2
        or any(not new[i].lstrip().startswith(("- text:", "text:")) for i in changed)
    ):
        raise ContentError(
            N_(
                "Could not change domain.yml safely (more than the answer's "
                "text would change); nothing was written."
            )
        )
    try:
        domain = Domain.from_yaml(new_file)
    except Exception as exc:  # noqa: BLE001 - any failure: do not write it
        raise ContentError(
            f"domain.yml would not load any more ({exc}); nothing was written."
        ) from exc
    texts = {v.get("text") for v in domain.responses.get(name, [])}
    if not set(after.values()) <= texts:
        raise ContentError(N_("Rasa would not read the answer as written; nothing was written."))


def set_answer(root: Path, name: str, bn: Any, en: Any) -> Edit:
    answer = get_answer(root, name)
    if answer.bn is None or answer.en is None:
        raise ContentError(N_("This answer has no Bangla and English text to edit here."))
    before = {"bn": answer.bn.text, "en": answer.en.text}
    after = {
        "bn": clean_answer(bn, "bn", answer.bn.text),
        "en": clean_answer(en, "en", answer.en.text),
    }
    if after == before:
        raise ContentError(N_("Nothing changed."))
    return _plan(root, name, before, after)


def _register() -> None:
    from seba.content import changes

    changes.register(
        "set_answer",
        lambda root, op: _plan(root, op["name"], op["before"], op["after"]),
        lambda op: {**op, "before": op["after"], "after": op["before"]},
    )


_register()
