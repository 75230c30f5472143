"""A content problem: where it is, what is wrong and how to fix it, in English and Bangla."""

import re
from dataclasses import dataclass
from typing import Optional

from seba.content.limits import EXCERPT_CHARS
from seba.text import mask_phones, to_bengali_digits

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    check: str  # a short id, e.g. "few_examples"
    severity: str  # "error" (fails the check) or "warning"
    file: str  # relative to the checked project's root
    line: Optional[int]  # 1-based; None when the problem has no one line
    message_en: str
    message_bn: str
    fix_en: str
    fix_bn: str

    def message(self, lang: str = "en") -> str:
        return self.message_bn if lang == "bn" else self.message_en

    def fix(self, lang: str = "en") -> str:
        return self.fix_bn if lang == "bn" else self.fix_en


def error(check, file, line, message_en, message_bn, fix_en, fix_bn) -> Problem:
    return Problem(check, ERROR, file, line, message_en, message_bn, fix_en, fix_bn)


def warning(check, file, line, message_en, message_bn, fix_en, fix_bn) -> Problem:
    return Problem(check, WARNING, file, line, message_en, message_bn, fix_en, fix_bn)


_UNPRINTABLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
    r"\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


def visible(text: str) -> str:
    """Control and bidi characters shown as \\x07 / \\u202e, newlines as \\n."""
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, phone-masked quote of ``text`` for a message."""
    text = str(text)
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return "«" + visible(mask_phones(cut)) + "»"


def bn(number) -> str:
    """A number in Bengali digits, for the Bangla messages."""
    return to_bengali_digits(str(number))
