"""The shop's settings for order updates (shop.yml ``order_updates``) and the deliverer's
timing (environment, for tests and operators)."""

import os
from dataclasses import dataclass
from typing import Optional

from seba.settings import load_settings

#: The Messenger tags the shop may allow outside the 24-hour window (docs/customer-updates.md:
#: Meta's rules change; the shop checks them before setting one).
MESSENGER_TAGS = ("POST_PURCHASE_UPDATE",)


@dataclass(frozen=True)
class NoticeSettings:
    delivered_check_hours: float = 4.0  # the "received it?" check this long after delivery
    messenger_tag: Optional[str] = None  # None: outside the window a notice waits
    waiting_days: float = 7.0  # a notice that could not be sent this long is dropped


def _number(value, default: float) -> float:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return default


def notice_settings() -> NoticeSettings:
    raw = load_settings().raw.get("order_updates") or {}
    tag = str(raw.get("messenger_tag") or "").strip().upper() or None
    return NoticeSettings(
        delivered_check_hours=_number(raw.get("delivered_check_hours"), 4.0),
        messenger_tag=tag if tag in MESSENGER_TAGS else None,
        waiting_days=_number(raw.get("waiting_days"), 7.0),
    )


def _env_seconds(name: str, default: float) -> float:
    return _number(os.environ.get(name), default) or default


def poll_seconds() -> float:
    """How often each Rasa worker looks for notices (``SEBA_NOTICES_POLL_SECONDS``)."""
    return _env_seconds("SEBA_NOTICES_POLL_SECONDS", 3.0)


def recheck_seconds() -> float:
    """How long a waiting notice rests before it is looked at again
    (``SEBA_NOTICES_RECHECK_SECONDS``); a web visitor who connects is served at once."""
    return _env_seconds("SEBA_NOTICES_RECHECK_SECONDS", 30.0)


def lease_seconds() -> float:
    """How long a worker holds a notice it is sending (``SEBA_NOTICES_LEASE_SECONDS``)."""
    return _env_seconds("SEBA_NOTICES_LEASE_SECONDS", 120.0)
