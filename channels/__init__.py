"""Seba's messaging channels: Telegram and Facebook Messenger connectors for Rasa 3.6.

Both connectors follow the same rules, so a conversation works the same way everywhere:

* configuration comes from ``credentials.yml`` with a fallback to environment variables,
  so secrets never need to be committed (``credentials.yml`` only names the channel);
* an unconfigured channel still loads (``make run`` works without it) and answers 503;
* every webhook call is authenticated (Telegram secret token, Facebook HMAC signature):
  anything else is refused with 403 and logged;
* Telegram and Messenger store every update before the platform gets its 200, and a worker
  handles them in order per conversation, once, also after a crash (``channels/intake.py``);
* ``get_output_channel()`` returns an output channel that can send to any recipient with
  no request in flight (Rasa uses it for ``output_channel=latest``, e.g. agent replies);
* Rasa's convention is kept: a blank line (``"\\n\\n"``) in a reply starts a new chat
  bubble, as on the web bubble; a paragraph longer than the platform allows is split at
  sentence (then word) boundaries (:func:`split_message`);
* what the bot cannot read (photos, stickers, voice, files, locations ...) gets the polite
  :data:`TEXT_ONLY_REPLY` instead of an error;
* text the customer *types* is never read as a Rasa intent: a leading ``/`` is removed
  (:func:`typed_text`); only button payloads may carry ``/intent{...}`` (and Rasa takes
  them only if the bot offered that button: ``seba/controls.py``);
* every conversation id carries its channel (:func:`conversation_id`): ``tg:<chat>``,
  ``fb:<psid>``, ``web:<id>``, ``rest:<sender>``, derived from what the platform proved.
  Rasa keys conversations by sender id alone, across channels: without the prefix, one
  channel's customer could be addressed from another.
"""

import json
import logging
import os
import re
import time
import unicodedata
from collections import OrderedDict
from typing import Any, Callable, Dict, Hashable, List, Optional

from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

#: Sent when a customer sends something other than text (photo, sticker, voice, ...).
TEXT_ONLY_REPLY = (
    "দুঃখিত, আমি এখনো শুধু লেখা বুঝতে পারি। অনুগ্রহ করে লিখে জানান।\n"
    "Sorry, I can only read text messages for now. Please type your message."
)


class ChannelDeliveryError(RasaException):
    """A message could not be delivered to the customer's messaging platform.

    Raised only by output channels made for pushes (``get_output_channel()``), so that
    ``POST /conversations/{id}/tracker/events?execute_side_effects=true`` fails loudly
    (and records nothing) instead of reporting success for an undelivered agent reply.
    While the bot answers a webhook message, failures are logged instead: one lost
    bubble must not lose the whole turn.
    """


def setting(
    credentials: Optional[Dict[str, Any]],
    key: str,
    env: str,
    default: Optional[str] = None,
) -> Optional[str]:
    """A channel setting: ``credentials[key]`` if set, else the environment, else default.

    Empty strings count as unset, so ``key: ""`` in credentials.yml falls back to the
    environment too.
    """
    value = (credentials or {}).get(key)
    if value is None or str(value).strip() == "":
        value = os.environ.get(env, "")
    value = str(value).strip()
    return value if value else default


# --- one namespace per channel -----------------------------------------------------

#: The conversation-id prefix of each of Seba's channels.
PREFIXES = {"telegram": "tg", "facebook": "fb", "socketio": "web", "rest": "rest"}


#: How deeply a webhook's JSON may nest. Telegram's and Messenger's updates nest a few
#: levels; a body nested thousands deep would exhaust Python's recursion while decoding.
MAX_JSON_DEPTH = 32


def json_object_body(body: bytes) -> Dict[str, Any]:
    """The JSON object a webhook body holds; ValueError if it holds none or nests too deep."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError("the body nests too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError("the body nests too deeply")
        children = item.values() if isinstance(item, dict) else item
        pending.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return value


def conversation_id(channel: str, platform_id: Any) -> str:
    """Rasa's sender id for a customer the platform identified: ``tg:12345``."""
    return f"{PREFIXES[channel]}:{platform_id}"


def platform_id(channel: str, sender_id: Any) -> str:
    """The platform's own id back from a sender id of this channel.

    Raises :class:`ChannelDeliveryError` for an id of another channel (or a bare one), so a
    reply can never be pushed to a customer of one channel through another.
    """
    prefix = PREFIXES[channel] + ":"
    text = str(sender_id or "")
    if not text.startswith(prefix) or len(text) == len(prefix):
        raise ChannelDeliveryError(f"{sender_id!r} is not a {channel} conversation")
    return text[len(prefix) :]


# --- splitting long replies ------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?।॥])\s+|(?<=\n)")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: how Telegram counts its message limits."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """Index at which to cut ``text`` so the head fits ``limit`` and no letter is split.

    Backs off over combining marks (Bengali vowel signs, hasanta) and zero-width
    joiners so a grapheme cluster is never torn apart.
    """
    lo, hi = 1, len(text)
    while lo < hi:  # largest prefix that fits
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    while 1 < cut < len(text) and (
        unicodedata.category(text[cut]) in ("Mn", "Mc")
        or text[cut - 1] in ("\u09cd", "\u200c", "\u200d")  # hasanta, ZWNJ, ZWJ
        or text[cut] in ("\u200c", "\u200d")
    ):
        cut -= 1
    return cut


def _split_paragraph(text: str, limit: int, measure: Callable[[str], int]) -> List[str]:
    if measure(text) <= limit:
        return [text]
    parts: List[str] = []
    current = ""
    for piece in _pieces(text):
        candidate = current + piece
        if measure(candidate.rstrip()) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = piece.lstrip()
        while measure(current.rstrip()) > limit:  # one sentence longer than the limit
            cut = _word_cut(current, limit, measure)
            parts.append(current[:cut].rstrip())
            current = current[cut:].lstrip()
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _pieces(text: str) -> List[str]:
    """Sentences (with their trailing space), the unit a long paragraph is split into."""
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _word_cut(text: str, limit: int, measure: Callable[[str], int]) -> int:
    cut = _hard_cut(text, limit, measure)
    space = text.rfind(" ", 0, cut + 1)
    if space > 0 and measure(text[:space]) <= limit and space > cut // 2:
        return space
    return cut


def split_message(
    text: str,
    limit: int,
    measure: Callable[[str], int] = len,
) -> List[str]:
    """Split a reply into chat bubbles.

    A blank line separates bubbles (Rasa's convention, kept on every channel); a
    paragraph longer than ``limit`` (as counted by ``measure``) is split at sentence
    ends (``. ! ? ।``), then at spaces, and only as a last resort inside a word (never
    inside a Bengali letter cluster). Empty paragraphs are dropped.
    """
    bubbles: List[str] = []
    for paragraph in (text or "").strip().split("\n\n"):
        paragraph = paragraph.strip()
        if paragraph:
            bubbles.extend(_split_paragraph(paragraph, limit, measure))
    return bubbles


def shorten(title: str, limit: int) -> str:
    """Fit a button title into ``limit`` characters, at a word end if possible, with '…'."""
    title = " ".join((title or "").split())
    if len(title) <= limit:
        return title
    room = limit - 1  # for the ellipsis
    head = title[: room + 1]
    space = head.rfind(" ")
    if space >= room // 2:
        head = head[:space]
    else:
        head = title[: _hard_cut(title, room, len)]
    return head[:room].rstrip() + "…"


def typed_text(text: Optional[str]) -> str:
    """Text a customer typed, safe to hand to Rasa.

    Rasa reads a message that starts with ``/`` as an intent (``/inform{"phone": ...}``)
    and skips NLU. Only buttons may do that; from the keyboard, leading slashes are
    dropped so Telegram commands such as ``/help`` go through NLU as "help".
    """
    return (text or "").strip().lstrip("/").strip()


# --- small in-memory helpers -----------------------------------------------------


class LRU(OrderedDict):
    """A bounded mapping that forgets the least recently used entries."""

    def __init__(self, maxsize: int = 10_000) -> None:
        super().__init__()
        self.maxsize = maxsize

    def get_recent(self, key: Hashable, default: Any = None) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.maxsize:
            self.popitem(last=False)


class RateLimitedLog:
    """Log a repeated warning at most once per ``interval`` seconds."""

    def __init__(self, log: logging.Logger, interval: float = 60.0) -> None:
        self._log, self._interval, self._last = log, interval, -interval

    def warning(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self._log.warning(message, *args)
