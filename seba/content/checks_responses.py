"""Checks of the responses (domain.yml ``responses:``): both languages, and texts that render.

- missing_bangla / missing_english / bad_condition: the Bangla text is the default variation
  (no condition), the English one has ``condition: [{type: slot, name: language, value: en}]``
  (docs/architecture.md "Reply language");
- wrong_language: a text or button title in the other language;
- buttons_differ: the two languages offer different buttons;
- variables_differ / unknown_variable / broken_braces: what Rasa's interpolation would do
  with the text (rasa.core.nlg.interpolator: one unknown {name} leaves the whole text
  unfilled, a lone brace makes the reply fail);
- invisible_characters / empty_response.
"""

import re
from typing import Any, Iterator, List, Optional, Set, Tuple

from seba.content.index import Index, Response
from seba.content.problems import Problem, error, excerpt, warning
from seba.content.project import line_of, seq_items
from seba.inbound import clean
from seba.language import detect_variety

EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]
EN_CONDITION_YAML = "condition:\n- type: slot\n  name: language\n  value: en"
BUTTON_KEYS = ("buttons", "quick_replies")
_RASA_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # as rasa.core.nlg.interpolator
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BENGALI = re.compile(r"[\u0980-\u09FF]")


class _Asked(dict):
    def __init__(self) -> None:
        super().__init__()
        self.asked: List[str] = []

    def __missing__(self, key: str) -> str:
        self.asked.append(key)
        return ""


def placeholders(text: str) -> Tuple[List[str], bool]:
    """(the names Rasa would fill in ``text``, whether the text renders at all)."""
    values = _Asked()
    try:
        out = _RASA_PLACEHOLDER.sub(r"{0[\1]}", text).format(values)
        if "0[" in out:  # Rasa's fallback for {{...}}: any {name} beside it stays unfilled
            text.format({})
            return [], True
    except KeyError:
        return values.asked, False
    except (ValueError, IndexError, AttributeError, TypeError):
        return values.asked, False
    return values.asked, True


def strip_placeholders(text: str) -> str:
    return _RASA_PLACEHOLDER.sub(" ", text)


def _kind(variation: Any) -> Optional[str]:
    """'bn' (the default), 'en' (the English condition), or None (another condition)."""
    condition = variation.get("condition")
    if not condition:
        return "bn"
    try:
        plain = [{k: str(v) for k, v in c.items()} for c in condition]
    except (AttributeError, TypeError):
        return None
    return "en" if plain == EN_CONDITION else None


def _strings(variation: Any) -> Iterator[Tuple[str, str, Optional[int]]]:
    """(role, text, line) of a variation: its text, then each button title and payload."""
    if isinstance(variation.get("text"), str):
        yield "text", variation["text"], line_of(variation, "text")
    for key in BUTTON_KEYS:
        for index, button in seq_items(variation.get(key)):
            if isinstance(button, dict):
                line = line_of(button) or line_of(variation[key], index=index)
                if isinstance(button.get("title"), str):
                    yield "title", button["title"], line_of(button, "title") or line
                if isinstance(button.get("payload"), str):
                    yield "payload", button["payload"], line_of(button, "payload") or line


def _language_problem(r: Response, lang: str, role: str, text: str, line) -> Optional[Problem]:
    plain = strip_placeholders(text)
    variety = detect_variety(plain)
    what_en = "text" if role == "text" else "button title"
    what_bn = "লেখা" if role == "text" else "বাটনের লেখা"
    if lang == "bn" and variety in ("en", "banglish"):
        return error(
            "wrong_language",
            r.file,
            line,
            f"The Bangla {what_en} of «{r.name}» is not in Bengali script: {excerpt(text)}.",
            f"«{r.name}»-এর বাংলা {what_bn} বাংলা হরফে লেখা নয়: {excerpt(text)}।",
            "Write it in Bangla script (Banglish customers get Bangla too). The English text "
            "goes in the variation with the English condition.",
            "বাংলা হরফে লিখুন (বাংলিশে লেখা কাস্টমাররাও বাংলায় উত্তর পান)। ইংরেজি লেখাটি যাবে "
            "ইংরেজি condition দেওয়া অংশে।",
        )
    if lang == "en" and (variety in ("bn", "banglish") or _BENGALI.search(plain)):
        make = error if variety in ("bn", "banglish") else warning
        return make(
            "wrong_language",
            r.file,
            line,
            f"The English {what_en} of «{r.name}» is not in English: {excerpt(text)}.",
            f"«{r.name}»-এর ইংরেজি {what_bn} ইংরেজিতে নয়: {excerpt(text)}।",
            "Write it in English; the Bangla text goes in the default variation (the one "
            "without a condition).",
            "ইংরেজিতে লিখুন; বাংলা লেখাটি যাবে condition ছাড়া প্রথম অংশে।",
        )
    return None


def _render_problems(r: Response, role: str, text: str, line, known: Optional[Set[str]]):
    names, renders = placeholders(text)
    odd = [n for n in names if not _NAME.match(n)]
    if not renders or (odd and role != "payload"):
        yield error(
            "broken_braces",
            r.file,
            line,
            f"The braces in this {role} of «{r.name}» do not pair up as variables: "
            f"{excerpt(text)}; the reply would fail or show the braces.",
            f"«{r.name}»-এর এই লেখায় ব্র্যাকেট {{ }} ভ্যারিয়েবলের নিয়মে মেলেনি: {excerpt(text)}; "
            "উত্তরটি যাবে না, অথবা ব্র্যাকেটসহ দেখাবে।",
            "A variable is a name in single braces, e.g. {shop_phone}. To show a brace itself, "
            "write it twice: {{ and }}. Do not mix the two in one text.",
            "ভ্যারিয়েবল লিখুন এক জোড়া ব্র্যাকেটে নাম দিয়ে, যেমন {shop_phone}। ব্র্যাকেট নিজেই দেখাতে "
            "চাইলে দুবার লিখুন: {{ আর }}। একই লেখায় দুটো একসাথে দেবেন না।",
        )
        return
    if role == "payload" and odd:
        yield error(
            "broken_braces",
            r.file,
            line,
            f"This button payload of «{r.name}» has single braces: {excerpt(text)}.",
            f"«{r.name}»-এর এই বাটনের payload-এ এক জোড়া ব্র্যাকেট: {excerpt(text)}।",
            'Double the braces of a payload\'s entities: /inform{{"return_reason": "damaged"}}.',
            'payload-এর এনটিটির ব্র্যাকেট দুবার লিখুন: /inform{{"return_reason": "damaged"}}।',
        )
        return
    for name in names:
        if known is not None and name not in known:
            yield error(
                "unknown_variable",
                r.file,
                line,
                f"«{r.name}» uses {{{name}}}, which no setting, slot or action provides: the "
                "customer would see the text with every {…} unfilled.",
                f"«{r.name}»-এ {{{name}}} আছে, কিন্তু এই নামে কোনো সেটিং, স্লট বা অ্যাকশনের মান নেই: "
                "কাস্টমার সব {…} না বসানো অবস্থায় লেখাটি দেখবেন।",
                "Check the spelling against the list of variables in docs/content-guide.en.md "
                "(e.g. {delivery_charge_inside_dhaka}, {shop_phone}).",
                "docs/content-guide.bn.md-এর ভ্যারিয়েবলের তালিকার সাথে বানান মিলিয়ে নিন (যেমন "
                "{delivery_charge_inside_dhaka}, {shop_phone})।",
            )


def _check_variation(r: Response, lang: str, variation: Any, known) -> List[Problem]:
    problems = []
    if not any(variation.get(k) for k in ("text", "image", "custom", *BUTTON_KEYS)):
        problems.append(
            error(
                "empty_response",
                r.file,
                line_of(variation),
                f"A variation of «{r.name}» has no text.",
                f"«{r.name}»-এর একটি অংশে কোনো লেখা নেই।",
                "Write the answer after 'text:' in double quotes, or delete the empty variation.",
                "'text:'-এর পরে ডাবল কোটেশনের ভেতরে উত্তরটি লিখুন, অথবা ফাঁকা অংশটি মুছে দিন।",
            )
        )
    for role, text, line in _strings(variation):
        if clean(text) != text:
            problems.append(
                error(
                    "invisible_characters",
                    r.file,
                    line,
                    f"This {role} of «{r.name}» contains invisible control characters: "
                    f"{excerpt(text)}.",
                    f"«{r.name}»-এর এই লেখায় অদৃশ্য কন্ট্রোল ক্যারেক্টার আছে: {excerpt(text)}।",
                    "Delete the text and type it again by hand (do not paste it).",
                    "লেখাটি মুছে নিজে আবার টাইপ করুন (কপি-পেস্ট করবেন না)।",
                )
            )
        if role != "payload":
            found = _language_problem(r, lang, role, text, line)
            if found:
                problems.append(found)
        problems += list(_render_problems(r, role, text, line, known))
    return problems


def _buttons(variation: Any, key: str) -> List[str]:
    """The payloads as Rasa sends them ({{ }} becomes { })."""
    return [
        str(b.get("payload", "")).replace("{{", "{").replace("}}", "}")
        for _, b in seq_items(variation.get(key))
        if isinstance(b, dict)
    ]


def _compare(r: Response, bangla: Any, english: Any) -> List[Problem]:
    problems = []
    for key in BUTTON_KEYS:
        bn_payloads, en_payloads = _buttons(bangla, key), _buttons(english, key)
        same_commands = [p for p in bn_payloads if p.startswith("/")] == [
            p for p in en_payloads if p.startswith("/")
        ]
        if len(bn_payloads) != len(en_payloads) or not same_commands:
            shown_bn, shown_en = ", ".join(bn_payloads) or "-", ", ".join(en_payloads) or "-"
            problems.append(
                error(
                    "buttons_differ",
                    r.file,
                    line_of(english, key) or line_of(english),
                    f"«{r.name}» offers different {key.replace('_', ' ')} in Bangla ({shown_bn}) "
                    f"and in English ({shown_en}).",
                    f"«{r.name}»-এ বাংলা ({shown_bn}) আর ইংরেজিতে ({shown_en}) আলাদা বাটন।",
                    "Give both languages the same buttons in the same order, with the same "
                    "payloads that start with '/'; only the titles are translated.",
                    "দুই ভাষায় একই বাটন একই ক্রমে দিন, '/' দিয়ে শুরু হওয়া payload হুবহু এক রাখুন; "
                    "শুধু বাটনের লেখা অনুবাদ হবে।",
                )
            )
    bn_names = set(placeholders(str(bangla.get("text") or ""))[0])
    en_names = set(placeholders(str(english.get("text") or ""))[0])
    if bn_names != en_names:
        only = sorted(bn_names ^ en_names)
        shown = ", ".join("{" + n + "}" for n in only)
        problems.append(
            error(
                "variables_differ",
                r.file,
                line_of(english, "text") or line_of(english),
                f"The Bangla and English texts of «{r.name}» use different variables ({shown}): "
                "customers of one language would miss that information.",
                f"«{r.name}»-এর বাংলা আর ইংরেজি লেখায় আলাদা ভ্যারিয়েবল ({shown}): এক ভাষার কাস্টমার "
                "তথ্যটি পাবেন না।",
                f"Use the same variables in both texts: add {shown} where it is missing.",
                f"দুই লেখাতেই একই ভ্যারিয়েবল দিন: যেখানে নেই সেখানে {shown} যোগ করুন।",
            )
        )
    return problems


def check_response(r: Response, known: Optional[Set[str]]) -> List[Problem]:
    if not isinstance(r.variations, list) or not all(isinstance(v, dict) for v in r.variations):
        return [
            error(
                "bad_structure",
                r.file,
                r.line,
                f"«{r.name}» must be a list of variations, each starting with '- text:'.",
                f"«{r.name}»-এর নিচে '- text:' দিয়ে শুরু হওয়া অংশের তালিকা থাকতে হবে।",
                "Compare it with another response in domain.yml and write it the same way.",
                "domain.yml-এর আরেকটি উত্তরের সাথে মিলিয়ে একইভাবে লিখুন।",
            )
        ]
    problems: List[Problem] = []
    found = {}
    for variation in r.variations:
        lang = _kind(variation)
        if lang is None:
            problems.append(
                error(
                    "bad_condition",
                    r.file,
                    line_of(variation, "condition"),
                    f"A variation of «{r.name}» has a condition other than the English one.",
                    f"«{r.name}»-এর একটি অংশে ইংরেজির condition ছাড়া অন্য condition দেওয়া।",
                    "The English variation's condition is exactly:\n"
                    + EN_CONDITION_YAML
                    + "\nThe Bangla one has no condition.",
                    "ইংরেজি অংশের condition হুবহু এটি:\n"
                    + EN_CONDITION_YAML
                    + "\nবাংলা অংশে কোনো condition থাকবে না।",
                )
            )
            continue
        found.setdefault(lang, variation)
        problems += _check_variation(r, lang, variation, known)
    if "bn" not in found:
        problems.append(
            error(
                "missing_bangla",
                r.file,
                r.line,
                f"«{r.name}» has no Bangla text (a variation without a condition).",
                f"«{r.name}»-এর কোনো বাংলা লেখা নেই (condition ছাড়া অংশ)।",
                "Add the Bangla text first, as '- text: \"...\"' with no condition.",
                "সবার আগে condition ছাড়া '- text: \"...\"' হিসেবে বাংলা লেখাটি যোগ করুন।",
            )
        )
    if "en" not in found:
        problems.append(
            error(
                "missing_english",
                r.file,
                r.line,
                f"«{r.name}» has no English text (a variation with the English condition).",
                f"«{r.name}»-এর কোনো ইংরেজি লেখা নেই (ইংরেজির condition দেওয়া অংশ)।",
                "Add the English text after the Bangla one, with:\n" + EN_CONDITION_YAML,
                "বাংলা লেখার পরে ইংরেজি লেখাটি যোগ করুন, সাথে:\n" + EN_CONDITION_YAML,
            )
        )
    if "bn" in found and "en" in found:
        problems += _compare(r, found["bn"], found["en"])
    return problems


def run(index: Index, known: Optional[Set[str]]) -> List[Problem]:
    problems = []
    for response in index.responses.values():
        problems += check_response(response, known)
    return problems
