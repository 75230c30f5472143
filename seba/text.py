"""Text normalisation: Bengali digits, phone numbers and order numbers.

Customers type numbers in Bengali digits (০-৯), with +88 prefixes, dashes and
spaces. Everything that matches or stores a number goes through here first:
Python's ``\\d`` matches Bengali digits, but a literal ``01`` does not match ``০১``.
"""

import re
from typing import Iterator, List, Optional, Tuple

BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
_TO_ASCII = str.maketrans(BENGALI_DIGITS, "0123456789")
_TO_BENGALI = str.maketrans("0123456789", BENGALI_DIGITS)


def to_ascii_digits(text: str) -> str:
    """Replace Bengali digits with ASCII digits (same length, so spans stay valid)."""
    return text.translate(_TO_ASCII)


def to_bengali_digits(text: str) -> str:
    return str(text).translate(_TO_BENGALI)


# A Bangladeshi mobile number: 01[3-9] + 8 digits, optionally +88/88 in front,
# with spaces or dashes anywhere between digit groups.
_SEP = r"[\s\-.]?"
_PHONE_RE = re.compile(
    r"(?<![\d+])(?:\+?88" + _SEP + r")?(0" + _SEP + r"1[3-9](?:" + _SEP + r"\d){8})(?!\d)"
)
#: This shop's order numbers have 5 to 7 digits (seba.db.models.Order.number): the one place
#: that says so (the NLU's entity, the forms' "not one of our numbers" answer).
ORDER_NUMBER_DIGITS = (5, 7)
# An order number: 5-7 digits standing alone (optionally after '#'), not money.
_ORDER_RE = re.compile(r"(?<![\d\w])#?\s?(\d{%d,%d})(?!\d)" % ORDER_NUMBER_DIGITS)
_MONEY_AFTER = re.compile(r"^\s*(?:tk|taka|টাকা|৳|bdt|/-)", re.IGNORECASE)
_MONEY_BEFORE = re.compile(r"(?:tk|taka|৳|bdt)\.?\s*$", re.IGNORECASE)


def normalize_phone(text: str) -> Optional[str]:
    """Return the phone number in ``text`` as ``01XXXXXXXXX``, or None."""
    found = find_phones(text)
    return found[0][2] if found else None


def find_phones(text: str) -> List[Tuple[int, int, str]]:
    """All phone numbers in ``text`` as (start, end, normalised value)."""
    ascii_text = to_ascii_digits(text)
    result = []
    for match in _PHONE_RE.finditer(ascii_text):
        digits = re.sub(r"\D", "", match.group(1))
        result.append((match.start(), match.end(), digits))
    return result


def find_order_numbers(text: str) -> List[Tuple[int, int, str]]:
    """Order numbers in ``text`` as (start, end, value), skipping phones and money."""
    ascii_text = to_ascii_digits(text)
    phone_spans = [(s, e) for s, e, _ in find_phones(text)]
    result = []
    for match in _ORDER_RE.finditer(ascii_text):
        start, end = match.start(1), match.end(1)
        if any(s <= start < e for s, e in phone_spans):
            continue
        if _MONEY_AFTER.match(ascii_text[end:]) or _MONEY_BEFORE.search(ascii_text[:start]):
            continue
        result.append((start, end, match.group(1)))
    return result


def normalize_order_number(text: str) -> Optional[str]:
    """The first order number in ``text`` (ASCII digits), or None."""
    found = find_order_numbers(text)
    return found[0][2] if found else None


def iter_entities(text: str) -> Iterator[dict]:
    """Order-number and phone entities in Rasa's entity format."""
    for start, end, value in find_phones(text):
        yield {"entity": "phone", "start": start, "end": end, "value": value}
    for start, end, value in find_order_numbers(text):
        yield {"entity": "order_number", "start": start, "end": end, "value": value}


def mask_phone(phone: str) -> str:
    """01711000001 -> 017•••••001 (for showing a number back without revealing it)."""
    return phone[:3] + "•" * (len(phone) - 6) + phone[-3:] if len(phone) > 6 else phone


# Any mobile number inside free text, Bengali digits included (for masking what is shown
# or logged; the digits are converted only inside each match).
_ANY_DIGIT = "[0-9\u09e6-\u09ef]"
_PHONE_IN_TEXT = re.compile(
    "(?<![0-9\u09e6-\u09ef])(?:\\+?[8\u09ee][8\u09ee]"
    + _SEP
    + ")?[0\u09e6]"
    + _SEP
    + "[1\u09e7][3-9\u09e9-\u09ef](?:"
    + _SEP
    + _ANY_DIGIT
    + "){8}(?![0-9\u09e6-\u09ef])"
)


def mask_phones(text: str) -> str:
    """``text`` with every Bangladeshi mobile number masked (``017•••••001``)."""
    if not text or not any(c.isdigit() for c in text):
        return text

    def masked(match: "re.Match[str]") -> str:
        digits = re.sub(r"\D", "", to_ascii_digits(match.group(0)))
        return mask_phone(digits[-11:])

    return _PHONE_IN_TEXT.sub(masked, text)
