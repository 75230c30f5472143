"""What a customer's message may be before the NLU reads it: clean, bounded, never empty.

Applied by ``SebaMessageProcessor`` (seba/runtime.py) to every message from every channel,
before ``seba.controls``:

* invisible formatting that only confuses the NLU is removed — control characters (but
  newlines and tabs), right-to-left and other bidi overrides, byte-order marks; the
  zero-width joiner and non-joiner stay (Bangla conjuncts use them);
* a message longer than ``max_chars`` (shop.yml ``messages.max_chars``, 1,000) is not read:
  it gets the intent ``message_too_long`` (a polite "please write it shorter" in the
  customer's language) and is kept in the transcript cut to ``KEEP_CHARS``. Nothing a
  stranger sends can make the NLU work longer than a normal message: the cost of every
  component is bounded by the limit;
* a message with nothing left in it (empty, spaces, only invisible characters) gets the
  intent ``empty_message`` ("I didn't receive any text").

Both intents skip the NLU entirely and are answered by rules (data/rules.yml), in every
dialogue state: forms do not take them as an answer and ask their question again.
"""

import re
from typing import Any, Dict, Optional, Tuple

TOO_LONG, EMPTY = "message_too_long", "empty_message"
DEFAULT_MAX_CHARS = 1000
#: How much of an over-long message the transcript keeps (Telegram's own message limit).
KEEP_CHARS = 4096

_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f"  # control characters (not \t \n)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides
    "\ufeff\ufff9-\ufffb]"  # byte-order mark, interlinear annotation
)


def max_chars() -> int:
    try:
        from seba.settings import load_settings

        return load_settings().max_message_chars
    except Exception:  # noqa: BLE001 - settings unreadable: the limit still holds
        return DEFAULT_MAX_CHARS


def clean(text: str) -> str:
    return _INVISIBLE.sub("", text)


def screen(text: Any, limit: Optional[int] = None) -> Tuple[Any, Optional[str]]:
    """(the text to keep, the intent that answers it without NLU — or None)."""
    if not isinstance(text, str):
        return text, None
    cleaned = clean(text)
    if len(cleaned) > (limit or max_chars()):
        return cleaned[:KEEP_CHARS], TOO_LONG
    if not cleaned.strip():
        return cleaned.strip(), EMPTY
    return cleaned, None


def parse_data(text: str, intent: str) -> Dict[str, Any]:
    """Rasa's parse result for a message the NLU does not read."""
    ranked = {"name": intent, "confidence": 1.0}
    return {"text": text, "intent": ranked, "intent_ranking": [ranked], "entities": []}
