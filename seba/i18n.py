"""Formatting of values that go into replies, per reply language ("bn" or "en").

Bangla replies write amounts and dates in Bengali digits, as a Bangladeshi agent
would; order numbers, phone numbers and tracking codes stay as the customer
copies them (ASCII).
"""

import datetime as dt
from typing import Any, Optional

from seba.settings import PAYMENT_LABELS
from seba.text import to_bengali_digits

MONTHS_BN = [
    "জানুয়ারি",
    "ফেব্রুয়ারি",
    "মার্চ",
    "এপ্রিল",
    "মে",
    "জুন",
    "জুলাই",
    "আগস্ট",
    "সেপ্টেম্বর",
    "অক্টোবর",
    "নভেম্বর",
    "ডিসেম্বর",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

STATUS_LABELS = {
    "placed": {"bn": "অর্ডার গ্রহণ করা হয়েছে", "en": "order placed"},
    "confirmed": {"bn": "অর্ডার কনফার্ম হয়েছে", "en": "confirmed"},
    "packed": {"bn": "প্যাক করা হয়েছে", "en": "packed"},
    "shipped": {"bn": "কুরিয়ারে পাঠানো হয়েছে", "en": "shipped"},
    "out_for_delivery": {"bn": "ডেলিভারির জন্য বের হয়েছে", "en": "out for delivery"},
    "delivered": {"bn": "ডেলিভারি হয়েছে", "en": "delivered"},
    "cancelled": {"bn": "বাতিল করা হয়েছে", "en": "cancelled"},
    "returned": {"bn": "ফেরত এসেছে", "en": "returned"},
}
REFUND_STATUS_LABELS = {
    "pending": {"bn": "প্রক্রিয়াধীন", "en": "pending"},
    "processing": {"bn": "পাঠানো হচ্ছে", "en": "being processed"},
    "completed": {"bn": "পাঠানো হয়েছে", "en": "completed"},
}
RETURN_STATUS_LABELS = {
    "requested": {"bn": "অনুরোধ গ্রহণ করা হয়েছে", "en": "requested"},
    "approved": {"bn": "অনুমোদিত", "en": "approved"},
    "picked_up": {"bn": "কুরিয়ার সংগ্রহ করেছে", "en": "picked up"},
    "received": {"bn": "আমরা পেয়েছি", "en": "received"},
    "refunded": {"bn": "টাকা ফেরত দেওয়া হয়েছে", "en": "refunded"},
    "rejected": {"bn": "গ্রহণ করা যায়নি", "en": "rejected"},
}
REASON_LABELS = {
    "wrong_size_or_colour": {"bn": "সাইজ বা রং ভুল", "en": "wrong size or colour"},
    "damaged": {"bn": "পণ্য ত্রুটিপূর্ণ/ক্ষতিগ্রস্ত", "en": "damaged or faulty"},
    "not_as_described": {"bn": "বর্ণনার সাথে মেলেনি", "en": "not as described"},
    "changed_mind": {"bn": "মত পরিবর্তন", "en": "changed my mind"},
}
REFUND_METHOD_LABELS = {**PAYMENT_LABELS, "bank": {"bn": "ব্যাংক", "en": "bank transfer"}}


def _label(table: dict, code: Optional[str], lang: str) -> str:
    if code is None:
        return ""
    return table.get(code, {}).get(lang, code.replace("_", " "))


def number(value: Any, lang: str) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text if lang == "en" else to_bengali_digits(text)


def money(amount: int, lang: str) -> str:
    """1250 -> '১,২৫০ টাকা' / 'BDT 1,250'."""
    return f"BDT {amount:,}" if lang == "en" else f"{to_bengali_digits(f'{amount:,}')} টাকা"


def date(value: Optional[dt.date], lang: str, today: Optional[dt.date] = None) -> str:
    """A date as '২৫ নভেম্বর' / '25 November' (with the year when it is not this year)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    today = today or dt.date.today()
    if lang == "en":
        text = f"{value.day} {MONTHS_EN[value.month - 1]}"
        return text if value.year == today.year else f"{text} {value.year}"
    text = f"{to_bengali_digits(value.day)} {MONTHS_BN[value.month - 1]}"
    return text if value.year == today.year else f"{text} {to_bengali_digits(value.year)}"


def status(code: Optional[str], lang: str) -> str:
    return _label(STATUS_LABELS, code, lang)


def refund_status(code: Optional[str], lang: str) -> str:
    return _label(REFUND_STATUS_LABELS, code, lang)


def return_status(code: Optional[str], lang: str) -> str:
    return _label(RETURN_STATUS_LABELS, code, lang)


def payment(method: Optional[str], lang: str) -> str:
    return _label(REFUND_METHOD_LABELS, method, lang)


def reason(code: Optional[str], lang: str) -> str:
    return _label(REASON_LABELS, code, lang)


def product_name(product: Any, lang: str) -> str:
    """The product's name in the reply language (falls back to the other one)."""
    if lang == "en":
        return product.name_en or product.name_bn
    return product.name_bn or product.name_en
