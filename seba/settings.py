"""The shop's settings (``shop.yml``): one source for responses and actions.

``SEBA_SHOP_SETTINGS`` points at another file; ``load_settings()`` caches per path.
"""

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from seba import PROJECT_ROOT
from seba.text import to_bengali_digits

PAYMENT_LABELS = {
    "cod": {"bn": "ক্যাশ অন ডেলিভারি", "en": "cash on delivery"},
    "bkash": {"bn": "বিকাশ", "en": "bKash"},
    "nagad": {"bn": "নগদ", "en": "Nagad"},
    "rocket": {"bn": "রকেট", "en": "Rocket"},
    "card": {"bn": "কার্ড (ভিসা/মাস্টারকার্ড)", "en": "card (Visa/Mastercard)"},
}
CATEGORY_LABELS = {
    "undergarments": {"bn": "আন্ডারগার্মেন্টস", "en": "undergarments"},
    "cosmetics": {"bn": "কসমেটিকস", "en": "cosmetics"},
    "jewellery": {"bn": "গয়না", "en": "jewellery"},
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_LABELS = {
    "monday": "সোমবার",
    "tuesday": "মঙ্গলবার",
    "wednesday": "বুধবার",
    "thursday": "বৃহস্পতিবার",
    "friday": "শুক্রবার",
    "saturday": "শনিবার",
    "sunday": "রবিবার",
}


def _localized(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("bn") or value.get("en") or "")
    return "" if value is None else str(value)


def _clock(hhmm: str, lang: str) -> str:
    """'10:00' -> 'সকাল ১০টা' / '10 AM'."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    if lang == "en":
        suffix = "AM" if hour < 12 else "PM"
        h12 = hour % 12 or 12
        return f"{h12}:{minute:02d} {suffix}" if minute else f"{h12} {suffix}"
    if hour < 12:
        part = "সকাল"
    elif hour < 16:
        part = "দুপুর"
    elif hour < 18:
        part = "বিকেল"
    elif hour < 20:
        part = "সন্ধ্যা"
    else:
        part = "রাত"
    h12 = hour % 12 or 12
    text = f"{h12}টা" if not minute else f"{h12}:{minute:02d}"
    return f"{part} {to_bengali_digits(text)}"


@dataclass(frozen=True)
class Hours:
    open: dt.time
    close: dt.time
    closed_days: List[str]

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` (shop-local time) falls in these hours."""
        if WEEKDAYS[moment.weekday()] in self.closed_days:
            return False
        return self.open <= moment.time() < self.close

    def describe(self, lang: str) -> str:
        open_, close = self.open.strftime("%H:%M"), self.close.strftime("%H:%M")
        if lang == "en":
            text = f"{_clock(open_, 'en')} to {_clock(close, 'en')}"
            if self.closed_days:
                text += ", closed on " + ", ".join(d.capitalize() for d in self.closed_days)
            else:
                text += ", every day"
            return text
        text = f"{_clock(open_, 'bn')} থেকে {_clock(close, 'bn')}"
        if self.closed_days:
            text += " (" + ", ".join(WEEKDAY_LABELS[d] for d in self.closed_days) + " বন্ধ)"
        else:
            text += " (প্রতিদিন)"
        return text


def _hours(raw: Dict[str, Any]) -> Hours:
    return Hours(
        open=dt.time.fromisoformat(raw["open"]),
        close=dt.time.fromisoformat(raw["close"]),
        closed_days=[d.lower() for d in raw.get("closed_days") or []],
    )


@dataclass(frozen=True)
class VerificationPolicy:
    """shop.yml ``verification``: how order checks are limited (seba/verification.py)."""

    window_minutes: int = 60  # failures count over this sliding window
    max_failures_per_order: int = 5  # then the order is locked for self-service
    lock_hours: int = 24  # until an agent lifts it or it expires
    max_failures_per_phone: int = 10  # one phone number tried against many orders
    max_failures_per_conversation: int = 3  # then a person takes over
    slow_down_seconds: int = 5  # wait after the n-th failure: this x 2^(n-1)
    idle_minutes: int = 30  # a verified order stays verified this long without use

    @classmethod
    def of(cls, raw: Dict[str, Any]) -> "VerificationPolicy":
        defaults = cls()
        values = {}
        for name in cls.__dataclass_fields__:
            try:
                value = int(raw.get(name, getattr(defaults, name)))
            except (TypeError, ValueError):
                value = getattr(defaults, name)
            values[name] = max(value, 0 if name == "slow_down_seconds" else 1)
        return cls(**values)


class Settings:
    """Typed access to shop.yml; ``raw`` keeps the whole file."""

    def __init__(self, raw: Dict[str, Any], path: Optional[Path] = None) -> None:
        self.raw = raw
        self.path = path
        shop = raw["shop"]
        self.shop_name = shop["name"]
        self.phone = str(shop["phone"])
        returns = raw.get("returns", {})
        self.return_window_days = int(returns.get("window_days", 7))
        self.exchange_days = int(returns.get("exchange_days", self.return_window_days))
        self.refund_days = int(returns.get("refund_days", 7))
        self.non_returnable_categories = list(returns.get("non_returnable_categories") or [])
        self.cancellable_statuses = list(
            raw.get("orders", {}).get("cancellable_statuses") or ["placed", "confirmed"]
        )
        self.delivery = raw["delivery"]
        self.payment_methods = list(raw["payment"]["methods"])
        hours = raw["hours"]
        self.timezone = hours.get("timezone", "Asia/Dhaka")
        self.business_hours = _hours(hours)
        self.agent_hours = _hours(hours.get("agents") or hours)
        self.verification = VerificationPolicy.of(raw.get("verification") or {})
        messages = raw.get("messages") or {}
        self.max_message_chars = max(int(messages.get("max_chars", 1000) or 1000), 100)

    def delivery_charge(self, area: str) -> int:
        return int(self.delivery[area]["charge"])

    def money(self, amount: int, lang: str) -> str:
        if lang == "en":
            return f"BDT {amount:,}"
        return f"{to_bengali_digits(f'{amount:,}')} টাকা"

    def _days(self, area: str, lang: str) -> str:
        d = self.delivery[area]
        text = f"{d['days_min']}-{d['days_max']}"
        return f"{text} days" if lang == "en" else f"{to_bengali_digits(text)} দিন"

    def template_vars(self, lang: str) -> Dict[str, str]:
        """Variables every response may use, e.g. ``{delivery_charge_inside_dhaka}``."""
        shop = self.raw["shop"]
        payment = self.raw["payment"]
        free_above = int(self.delivery.get("free_delivery_above") or 0)
        joiner = ", " if lang == "en" else ", "
        categories = [
            CATEGORY_LABELS.get(c, {}).get(lang, c) for c in self.non_returnable_categories
        ]
        return {
            "shop_name": _localized(shop["name"], lang),
            "shop_phone": self.phone,
            "shop_email": str(shop.get("email", "")),
            "shop_address": _localized(shop.get("address"), lang),
            "facebook_page": str(shop.get("facebook_page", "")),
            "website": str(shop.get("website", "")),
            "business_hours": self.business_hours.describe(lang),
            "agent_hours": self.agent_hours.describe(lang),
            "return_window_days": (
                str(self.return_window_days)
                if lang == "en"
                else to_bengali_digits(str(self.return_window_days))
            ),
            "exchange_days": (
                str(self.exchange_days)
                if lang == "en"
                else to_bengali_digits(str(self.exchange_days))
            ),
            "refund_days": (
                str(self.refund_days) if lang == "en" else to_bengali_digits(str(self.refund_days))
            ),
            "non_returnable_categories": joiner.join(categories),
            "delivery_days_inside_dhaka": self._days("inside_dhaka", lang),
            "delivery_days_outside_dhaka": self._days("outside_dhaka", lang),
            "delivery_charge_inside_dhaka": self.money(self.delivery_charge("inside_dhaka"), lang),
            "delivery_charge_outside_dhaka": self.money(
                self.delivery_charge("outside_dhaka"), lang
            ),
            "free_delivery_above": self.money(free_above, lang) if free_above else "",
            # A whole sentence (with its leading space), or nothing when delivery is never free.
            "free_delivery_note": (
                ""
                if not free_above
                else f" Orders over {self.money(free_above, lang)} ship free 🎉"
                if lang == "en"
                else f" অর্ডারের মোট দাম {self.money(free_above, lang)} ছাড়ালে ডেলিভারি ফ্রি 🎉"
            ),
            "payment_methods": joiner.join(
                PAYMENT_LABELS.get(m, {}).get(lang, m) for m in self.payment_methods
            ),
            "bkash_number": str(payment.get("bkash_number", "")),
            "nagad_number": str(payment.get("nagad_number", "")),
            "warranty": _localized(self.raw.get("warranty"), lang),
            "max_message_chars": (
                str(self.max_message_chars)
                if lang == "en"
                else to_bengali_digits(str(self.max_message_chars))
            ),
        }


def settings_path() -> Path:
    return Path(os.environ.get("SEBA_SHOP_SETTINGS") or PROJECT_ROOT / "shop.yml")


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Settings:
    with open(path, encoding="utf-8") as f:
        return Settings(yaml.safe_load(f), Path(path))


def load_settings(path: Optional[Path] = None) -> Settings:
    """The settings, re-read when the file changes (keyed on its mtime)."""
    p = Path(path) if path else settings_path()
    return _load(str(p), p.stat().st_mtime)


def allowed_origins() -> List[str]:
    """The web origins whose pages may open the chat bubble and call Rasa from a browser.

    shop.yml ``web.allowed_origins`` plus ``SEBA_ALLOWED_ORIGINS`` (comma-separated; run.sh
    adds the demo page's). Browsers from anywhere else are refused.
    """
    try:
        raw = (load_settings().raw.get("web") or {}).get("allowed_origins") or []
    except (OSError, yaml.YAMLError):
        raw = []
    extra = os.environ.get("SEBA_ALLOWED_ORIGINS", "").split(",")
    origins = []
    for origin in [str(o) for o in raw] + extra:
        origin = origin.strip().rstrip("/")
        if origin and origin not in origins:
            origins.append(origin)
    return origins
