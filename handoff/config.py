"""Handoff settings: environment variables first, then ``shop.yml`` (``handoff:``), then defaults.

| setting | environment | shop.yml ``handoff.`` | default |
|---|---|---|---|
| database | ``HANDOFF_DATABASE_URL``, else ``DATABASE_URL`` | | ``sqlite:///<repo>/var/shop.db`` |
| abandon waiting chat after | ``HANDOFF_ABANDON_AFTER_MINUTES`` | ``abandon_after_minutes`` | 30 |
| agent's rating window | ``HANDOFF_RATING_WINDOW_MINUTES`` | ``rating_window_minutes`` | 60 |
| canned replies | | ``canned_replies`` | ``DEFAULT_CANNED_REPLIES`` |
"""

import logging
import os
import string
from dataclasses import dataclass
from typing import Any, Dict, List

logger = logging.getLogger(__name__)

#: An agent counts as online when their status is "online" and the console was seen this recently.
ONLINE_WINDOW_SECONDS = 120
#: Expected wait when no agent has resolved anything yet (minutes per conversation ahead).
DEFAULT_HANDLING_MINUTES = 5
#: How many recent resolved conversations the handling-time median looks at.
HANDLING_SAMPLE = 50


def database_url() -> str:
    """``HANDOFF_DATABASE_URL``, else the shop database's URL (``seba.db.database_url``)."""
    url = os.environ.get("HANDOFF_DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    from seba.db import database_url as shop_database_url

    return shop_database_url()


def _handoff_settings() -> Dict[str, Any]:
    try:
        from seba.settings import load_settings

        section = load_settings().raw.get("handoff")
    except Exception:  # no/broken shop.yml: the defaults still work
        logger.debug("shop.yml not readable for handoff settings", exc_info=True)
        return {}
    return section if isinstance(section, dict) else {}


def _positive_int(env: str, key: str, default: int) -> int:
    raw: Any = os.environ.get(env, "").strip() or _handoff_settings().get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        logger.warning("%s/%s=%r is not a whole number; using %s", env, key, raw, default)
        return default
    return value if value > 0 else default


def abandon_after_minutes() -> int:
    return _positive_int("HANDOFF_ABANDON_AFTER_MINUTES", "abandon_after_minutes", 30)


def rating_window_minutes() -> int:
    return _positive_int("HANDOFF_RATING_WINDOW_MINUTES", "rating_window_minutes", 60)


@dataclass(frozen=True)
class CannedReply:
    id: str
    bn: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.bn


DEFAULT_CANNED_REPLIES: List[CannedReply] = [
    CannedReply(
        "greeting",
        "আসসালামু আলাইকুম! আমি {agent}, {shop_name} থেকে বলছি। কীভাবে সাহায্য করতে পারি?",
        "Hello! This is {agent} from {shop_name}. How can I help you?",
    ),
    CannedReply(
        "checking",
        "একটু অপেক্ষা করুন, আমি বিষয়টি দেখে জানাচ্ছি।",
        "Please give me a moment while I check this for you.",
    ),
    CannedReply(
        "order_number",
        "অনুগ্রহ করে আপনার অর্ডার নম্বর আর অর্ডারে দেওয়া ফোন নম্বরটি দিন।",
        "Could you please share your order number and the phone number on the order?",
    ),
    CannedReply(
        "sorry",
        "অসুবিধার জন্য আমরা আন্তরিকভাবে দুঃখিত। আমরা দ্রুত সমাধান করছি।",
        "We are truly sorry for the trouble. We are fixing it as quickly as we can.",
    ),
    CannedReply(
        "anything_else",
        "আর কোনোভাবে সাহায্য করতে পারি?",
        "Is there anything else I can help you with?",
    ),
    CannedReply(
        "goodbye",
        "{shop_name}-এর সাথে থাকার জন্য ধন্যবাদ! দরকার হলে আবার লিখবেন।",
        "Thank you for choosing {shop_name}! Write to us any time.",
    ),
]


def canned_replies() -> List[CannedReply]:
    """``handoff.canned_replies`` from shop.yml (entries need ``bn`` and ``en``), else defaults."""
    raw = _handoff_settings().get("canned_replies")
    if not isinstance(raw, list):
        return list(DEFAULT_CANNED_REPLIES)
    replies = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not (item.get("bn") or item.get("en")):
            logger.warning("shop.yml handoff.canned_replies[%s] needs bn/en text; skipped", index)
            continue
        bn = str(item.get("bn") or item.get("en"))
        en = str(item.get("en") or item.get("bn"))
        replies.append(CannedReply(str(item.get("id") or f"reply_{index + 1}"), bn, en))
    return replies or list(DEFAULT_CANNED_REPLIES)


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_canned(reply: CannedReply, lang: str, agent_name: str) -> str:
    """The reply in ``lang`` with ``{agent}`` and shop.yml variables (``{shop_phone}`` ...)."""
    values: Dict[str, str] = {}
    try:
        from seba.settings import load_settings

        values.update(load_settings().template_vars(lang))
    except Exception:
        logger.debug("shop.yml not readable for canned reply variables", exc_info=True)
    values["agent"] = agent_name
    text = reply.text(lang)
    try:
        return string.Formatter().vformat(text, (), _KeepUnknown(values))
    except (ValueError, IndexError):  # a stray brace in the text: show it as written
        return text
