"""No policy value typed into a response: it comes from shop.yml through a variable.

Responses are filled by ``seba.nlg.SebaNLG`` with ``Settings.template_vars`` ("write
{delivery_charge_inside_dhaka} instead of ৭০ টাকা"). A number or value typed into a text
stays wrong when the shop changes shop.yml. What is compared, in Bengali and ASCII digits:

- the settings' own texts (shop name, e-mail, website, address, warranty, ...) anywhere;
- phone numbers (the shop's, bKash, Nagad);
- money (a number beside টাকা / tk / BDT / ৳), times of day (১০টা, 10 PM, 22:00) and
  durations (৭ দিন, 1-2 days, সাত দিনের) against the settings' numbers;
- a bare number equal to a setting of two or more digits (a warning: it may mean
  something else).

shop_value (error) names the variable to write; typed_number flags a policy-like number
that matches no setting (money is an error: every amount comes from a setting or the
order; an unknown time, duration or phone is a warning, a person decides).
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from seba.content.checks_responses import BUTTON_KEYS, strip_placeholders
from seba.content.index import Index
from seba.content.problems import Problem, error, visible, warning
from seba.content.project import Project, line_of, seq_items
from seba.settings import Settings
from seba.text import to_ascii_digits

DAY = r"(?:দিন|কার্যদিবস|working\s+days?|business\s+days?|days?)"
HOUR = r"(?:ঘণ্টা|ঘন্টা|hours?|hrs?)"
MONTH = r"(?:মাস|months?)"
NUMBER_WORDS = {
    unicodedata.normalize("NFC", word): number
    for word, number in {
        "এক": 1,
        "দুই": 2,
        "দু": 2,
        "তিন": 3,
        "চার": 4,
        "পাঁচ": 5,
        "ছয়": 6,
        "সাত": 7,
        "আট": 8,
        "নয়": 9,
        "দশ": 10,
        "চৌদ্দ": 14,
        "পনেরো": 15,
        "ত্রিশ": 30,
        "তিরিশ": 30,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "fourteen": 14,
        "fifteen": 15,
        "thirty": 30,
    }.items()
}
_NUM = r"(\d+(?:,\d+)*|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_RANGE = re.compile(
    r"(?<![\w,])" + _NUM + r"\s*(?:-|–|—|থেকে|to)\s*" + _NUM + r"\s*(?:" + DAY + "|" + HOUR + ")",
    re.I,
)
_DURATION = re.compile(
    r"(?<![\w,])" + _NUM + r"\s*-?\s*(" + DAY + "|" + HOUR + "|" + MONTH + ")", re.I
)
_MONEY = re.compile(
    r"(?:(?:৳|tk\.?|bdt|taka)\s*(\d+(?:,\d+)*)(?![\d,])"
    r"|(?<![\d,])(\d+(?:,\d+)*)\s*(?:টাকা|৳|tk\b|taka|bdt|/-))",
    re.I,
)
# "টা" alone also counts things (২টা অর্ডার): a Bangla time needs its part of the day.
_TIME = re.compile(
    r"(?<![\d,])(\d{1,2})(?::(\d{2}))?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|(?<![\d,])(\d{1,2}):(\d{2})(?!\d)"
    r"|(?:সকাল|দুপুর|বিকাল|বিকেল|সন্ধ্যা|রাত)\s*(\d{1,2})(?::(\d{2}))?\s*টা",
    re.I,
)
_PHONE = re.compile(r"(?<![\d+])(?:\+?88[\s\-]?)?0\d(?:[\s\-]?\d){8,10}(?!\d)")
_BARE = re.compile(r"(?<![\d,.])\d+(?:,\d+)*(?![\d,])")


def _value(token: str) -> int:
    token = token.lower()
    return NUMBER_WORDS[token] if token in NUMBER_WORDS else int(token.replace(",", ""))


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", to_ascii_digits(str(phone)))
    return digits[2:] if digits.startswith("880") else digits


@dataclass(frozen=True)
class Setting:
    var: str  # the template variable to write instead
    where: str  # the key in shop.yml
    value: object  # int, (min, max), digits of a phone, or (hour, minute) pairs
    whole: bool  # the variable says the unit too ("৭০ টাকা"): replace number and unit


def settings_table(s: Settings) -> Dict[str, List[Setting]]:
    """The settings a response could repeat, by the kind of number they are."""
    d = s.delivery
    free = int(d.get("free_delivery_above") or 0)
    table: Dict[str, List[Setting]] = {
        "money": [
            Setting(f"delivery_charge_{a}", f"delivery.{a}.charge", s.delivery_charge(a), True)
            for a in ("inside_dhaka", "outside_dhaka")
        ],
        "range": [
            Setting(
                f"delivery_days_{a}",
                f"delivery.{a}.days_min/days_max",
                (int(d[a]["days_min"]), int(d[a]["days_max"])),
                True,
            )
            for a in ("inside_dhaka", "outside_dhaka")
        ],
        "days": [
            Setting("return_window_days", "returns.window_days", s.return_window_days, False),
            Setting("exchange_days", "returns.exchange_days", s.exchange_days, False),
            Setting("refund_days", "returns.refund_days", s.refund_days, False),
        ],
        "count": [Setting("max_message_chars", "messages.max_chars", s.max_message_chars, False)],
        "phone": [Setting("shop_phone", "shop.phone", _digits(s.phone), True)],
        "time": [],
    }
    if free:
        table["money"].append(
            Setting("free_delivery_above", "delivery.free_delivery_above", free, True)
        )
    for a in ("inside_dhaka", "outside_dhaka"):
        for end in ("days_min", "days_max"):
            table["days"].append(
                Setting(f"delivery_days_{a}", f"delivery.{a}.{end}", int(d[a][end]), True)
            )
    for name in ("bkash_number", "nagad_number"):
        number = s.raw.get("payment", {}).get(name)
        if number:
            table["phone"].append(Setting(name, f"payment.{name}", _digits(number), True))
    for var, where, hours in (
        ("business_hours", "hours", s.business_hours),
        ("agent_hours", "hours.agents", s.agent_hours),
    ):
        for moment in (hours.open, hours.close):
            table["time"].append(
                Setting(var, f"{where}.open/close", (moment.hour, moment.minute), True)
            )
    return table


# Where in shop.yml each template variable's text comes from.
TEXT_SETTINGS = {
    "shop_name": "shop.name",
    "shop_email": "shop.email",
    "shop_address": "shop.address",
    "facebook_page": "shop.facebook_page",
    "website": "shop.website",
    "warranty": "warranty",
    "business_hours": "hours",
    "agent_hours": "hours.agents",
    "non_returnable_categories": "returns.non_returnable_categories",
    "payment_methods": "payment.methods",
    "delivery_days_inside_dhaka": "delivery.inside_dhaka.days_min/days_max",
    "delivery_days_outside_dhaka": "delivery.outside_dhaka.days_min/days_max",
    "delivery_charge_inside_dhaka": "delivery.inside_dhaka.charge",
    "delivery_charge_outside_dhaka": "delivery.outside_dhaka.charge",
    "free_delivery_above": "delivery.free_delivery_above",
    "free_delivery_note": "delivery.free_delivery_above",
}


def text_values(s: Settings) -> List[Tuple[str, str]]:
    """(variable, text) of the settings' texts long enough to recognise, both languages."""
    found = []
    for lang in ("bn", "en"):
        for var, text in s.template_vars(lang).items():
            text = text.strip()
            if len(text) >= 5 and re.search(r"[^\d\W]", text) and (var, text) not in found:
                found.append((var, text))
    return found


@dataclass
class Hit:
    typed: str  # as written in the response
    setting: Optional[Setting]  # None: no setting has this number
    kind: str
    others: Tuple[str, ...] = ()  # other variables with the same value


def _hit(typed: str, settings: List[Setting], kind: str) -> Hit:
    others = (
        tuple(dict.fromkeys(s.var for s in settings[1:] if s.var != settings[0].var))
        if settings
        else ()
    )
    return Hit(typed, settings[0] if settings else None, kind, others)


def _match(table, kind: str, value) -> List[Setting]:
    return [s for s in table[kind] if s.value == value]


def find_hits(text: str, table, texts) -> List[Hit]:
    """The policy values typed into ``text`` (its placeholders already removed)."""
    text = unicodedata.normalize("NFC", text)  # য় typed as one letter or two
    ascii_text = to_ascii_digits(text)
    taken: List[Tuple[int, int]] = []
    hits: List[Hit] = []

    def free(m, group=0) -> bool:
        span = m.span(group)
        if any(a < span[1] and span[0] < b for a, b in taken):
            return False
        taken.append(span)
        return True

    lowered = ascii_text.lower()
    for var, value in texts:
        at = lowered.find(to_ascii_digits(unicodedata.normalize("NFC", value)).lower())
        if at >= 0:
            taken.append((at, at + len(value)))
            where = TEXT_SETTINGS.get(var, var)
            hits.append(Hit(text[at : at + len(value)], Setting(var, where, value, True), "text"))
    for m in _PHONE.finditer(ascii_text):
        if free(m):
            hits.append(
                _hit(text[m.start() : m.end()], _match(table, "phone", _digits(m.group())), "phone")
            )
    for m in _MONEY.finditer(ascii_text):
        if free(m):
            hits.append(
                _hit(
                    text[m.start() : m.end()],
                    _match(table, "money", _value(m.group(1) or m.group(2))),
                    "money",
                )
            )
    for m in _TIME.finditer(ascii_text):
        if free(m):
            hour = int(m.group(1) or m.group(3) or m.group(5))
            minute = int(m.group(2) or m.group(4) or m.group(6) or 0)
            settings = [
                s
                for s in table["time"]
                if s.value[1] == minute and (s.value[0] == hour or (s.value[0] % 12 or 12) == hour)
            ]
            hits.append(_hit(text[m.start() : m.end()], settings, "time"))
    for m in _RANGE.finditer(ascii_text):
        if free(m):
            value = (_value(m.group(1)), _value(m.group(2)))
            hits.append(_hit(text[m.start() : m.end()], _match(table, "range", value), "range"))
    for m in _DURATION.finditer(ascii_text):
        if free(m, 1):
            number, unit = _value(m.group(1)), m.group(2).lower()
            settings = _match(table, "days", number) if re.fullmatch(DAY, unit, re.I) else []
            whole = bool(settings and settings[0].whole)
            hits.append(_hit(text[m.start() : m.end() if whole else m.end(1)], settings, "days"))
    for m in _BARE.finditer(ascii_text):
        number = _value(m.group())
        settings = (
            _match(table, "money", number) + _match(table, "count", number) if number >= 10 else []
        )
        if settings and free(m):
            hits.append(_hit(text[m.start() : m.end()], settings, "bare"))
    return hits


def _problem(name: str, file: str, line, hit: Hit, settings_vars: str) -> Problem:
    typed = visible(hit.typed)
    if hit.setting is not None:
        var = "{" + hit.setting.var + "}"
        if hit.others:
            also = " / ".join("{" + v + "}" for v in hit.others)
            var_en = f"{var} (or {also}, whichever it means)"
            var_bn = f"{var} (অথবা {also}, যেটি বোঝানো হয়েছে)"
        else:
            var_en = var_bn = var
        make = warning if hit.kind == "bare" else error
        return make(
            "shop_value",
            file,
            line,
            f"«{name}» has «{typed}» typed in: that is shop.yml's {hit.setting.where}. When the "
            "shop changes the setting, this answer would still say the old value.",
            f"«{name}»-এ «{typed}» সরাসরি লেখা আছে: এটি shop.yml-এর {hit.setting.where}। শপ এই "
            "সেটিং বদলালেও এই উত্তরে পুরোনো মানই থেকে যাবে।",
            f"Write {var_en} instead of «{typed}»."
            + (
                " (If the number means something else here, ignore this warning.)"
                if hit.kind == "bare"
                else ""
            ),
            f"«{typed}»-এর জায়গায় লিখুন {var_bn}।"
            + (" (এখানে সংখ্যাটির মানে অন্য কিছু হলে এই সতর্কতা বাদ দিন।)" if hit.kind == "bare" else ""),
        )
    make = error if hit.kind == "money" else warning
    return make(
        "typed_number",
        file,
        line,
        f"«{name}» has «{typed}» typed in, which matches no setting in shop.yml.",
        f"«{name}»-এ «{typed}» সরাসরি লেখা আছে, যা shop.yml-এর কোনো সেটিংয়ের সাথে মেলে না।",
        f"If it is one of the shop's rules, write its variable ({settings_vars}); a product's "
        "price or an order's amount comes from {price} / {amount}. A rule shop.yml does not "
        "have yet: ask a developer to add it.",
        f"এটি শপের কোনো নিয়ম হলে তার ভ্যারিয়েবল লিখুন ({settings_vars}); পণ্যের দাম বা অর্ডারের "
        "টাকা আসে {price} / {amount} থেকে। shop.yml-এ এখনো নেই এমন নিয়ম হলে ডেভেলপারকে যোগ "
        "করতে বলুন।",
    )


_SUGGEST = {
    "money": "{delivery_charge_inside_dhaka}, {delivery_charge_outside_dhaka}, "
    "{free_delivery_above}",
    "phone": "{shop_phone}, {bkash_number}, {nagad_number}",
    "time": "{business_hours}, {agent_hours}",
    "range": "{delivery_days_inside_dhaka}, {delivery_days_outside_dhaka}",
    "days": "{return_window_days}, {exchange_days}, {refund_days}, {delivery_days_inside_dhaka}",
}


def check_responses(index: Index, settings: Settings) -> List[Problem]:
    table, texts = settings_table(settings), text_values(settings)
    problems, seen = [], set()
    for r in index.responses.values():
        for _, variation in seq_items(r.variations):
            if not isinstance(variation, dict):
                continue
            strings = []
            if isinstance(variation.get("text"), str):
                strings.append((variation["text"], line_of(variation, "text")))
            for key in BUTTON_KEYS:
                for _, button in seq_items(variation.get(key)):
                    if isinstance(button, dict) and isinstance(button.get("title"), str):
                        strings.append((button["title"], line_of(button, "title")))
            for text, line in strings:
                for hit in find_hits(strip_placeholders(text), table, texts):
                    key = (r.file, line, hit.typed)
                    if key not in seen:
                        seen.add(key)
                        problems.append(
                            _problem(r.name, r.file, line, hit, _SUGGEST.get(hit.kind, ""))
                        )
    return problems


def _line_of(node, text: str) -> Optional[int]:
    """The line of the first value in shop.yml written as ``text`` (the one Settings refused)."""
    items = (
        list(node.items())
        if isinstance(node, dict)
        else list(enumerate(node))
        if (isinstance(node, list))
        else []
    )
    for key, value in items:
        if not isinstance(value, (dict, list)) and str(value) == text:
            return line_of(node, key) if isinstance(node, dict) else line_of(node, index=key)
        found = _line_of(value, text)
        if found:
            return found
    return None


def load_shop_settings(project: Project) -> Tuple[Optional[Settings], List[Problem]]:
    """Settings from the checked project's shop.yml, or the problem that stops them."""
    if project.shop is None:
        return None, []  # already reported: missing or not valid YAML
    try:
        settings = Settings(project.shop.data, None)
        settings.template_vars("bn")
        settings.template_vars("en")
        settings_table(settings)
        return settings, []
    except Exception as exc:  # noqa: BLE001 - any wrong value is the same problem to staff
        what = visible(f"{type(exc).__name__}: {exc}")[:200]
        quoted = re.findall(r"'([^']*)'", str(exc))
        line = next(
            (found for found in (_line_of(project.shop.data, q) for q in quoted) if found), None
        )
        return None, [
            error(
                "shop_settings",
                project.shop.rel,
                line,
                f"shop.yml cannot be used ({what}): a setting is missing or not a valid value.",
                f"shop.yml ব্যবহার করা যাচ্ছে না ({what}): কোনো সেটিং নেই অথবা তার মান ঠিক নয়।",
                "Compare shop.yml with the project's original (git diff shop.yml): numbers are "
                "plain numbers (70, not '70 tk'), times are like \"10:00\".",
                "প্রজেক্টের আসল shop.yml-এর সাথে মিলিয়ে দেখুন (git diff shop.yml): সংখ্যা শুধু "
                "সংখ্যা (70, '70 tk' নয়), সময় লিখুন \"10:00\" এভাবে।",
            )
        ]


def run(index: Index, settings: Optional[Settings]) -> List[Problem]:
    return check_responses(index, settings) if settings is not None else []
