"""Customers cannot type the bot's controls.

Rasa reads any message that starts with ``/`` as an intent with entities and skips the NLU:
typed, ``/restart`` resets a conversation (and releases one handed to the agents),
``/EXTERNAL_handback`` plays the console's hand back, ``/rate{"rating": "1"}`` writes a
rating, ``/inform{"phone": …}`` fills a slot. Buttons need that syntax, so the rule is:

* a ``/…`` message is a button press only if it is the payload of a button the bot offered
  in its **latest turn** (since the customer's previous message) — compared as intent +
  entities, so ``{"a": 1}`` and ``{"a":1}`` are the same payload;
* the payload of a button the bot offered **earlier** (a Telegram keyboard scrolled up, a
  Messenger template) counts as the customer saying the button's title: it goes through
  the NLU like typed words;
* anything else starting with ``/`` is typed text: the slashes are dropped and the rest goes
  through the NLU (``/help`` → "help");
* whatever was offered, Rasa's own control intents (``restart``, ``back``,
  ``session_start``) and ``EXTERNAL_*`` intents are never taken from a customer: those are
  for the agent console and Rasa's HTTP API (``trigger_intent``), which do not pass here.

``SebaMessageProcessor`` (seba/runtime.py) applies :func:`customer_text` to every message from
every channel before the NLU sees it.
"""

import json
from typing import Any, Dict, Iterable, List, Optional, Tuple

#: How far back the titles of earlier buttons are looked up: bot messages with buttons, and
#: customer turns (so a long conversation is not walked to its start on every message).
EARLIER_BUTTON_MESSAGES = 20
EARLIER_TURNS = 30
CONTROL_INTENTS = {"restart", "back", "session_start"}
EXTERNAL_PREFIX = "EXTERNAL_"


def payload_key(payload: Any) -> Optional[Tuple[str, str]]:
    """``/intent{entities}`` as (intent, canonical entities); None if not a payload."""
    text = str(payload or "").strip()
    if not text.startswith("/"):
        return None
    body = text[1:]
    intent, brace, rest = body.partition("{")
    intent = intent.strip()
    if not brace:
        return intent, ""
    try:
        entities = json.loads("{" + rest)
        return intent, json.dumps(entities, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return intent, "{" + rest.strip()


def is_control(key: Optional[Tuple[str, str]]) -> bool:
    if key is None:
        return False
    intent = key[0].split("@", 1)[0]
    return intent in CONTROL_INTENTS or intent.startswith(EXTERNAL_PREFIX)


def _buttons(event: Any) -> List[Dict[str, Any]]:
    data = getattr(event, "data", None) or {}
    found = []
    for key in ("buttons", "quick_replies"):
        for button in data.get(key) or []:
            if isinstance(button, dict) and button.get("payload"):
                found.append(button)
    return found


def offered_buttons(events: Iterable[Any]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(buttons of the bot's latest turn, buttons offered before it), newest first."""
    current: List[Dict[str, Any]] = []
    earlier: List[Dict[str, Any]] = []
    in_latest_turn, seen, turns = True, 0, 0
    for event in reversed(events if hasattr(events, "__reversed__") else list(events)):
        kind = getattr(event, "type_name", None)
        if kind == "user":
            in_latest_turn = False
            turns += 1
            if turns > EARLIER_TURNS:
                break
        elif kind == "bot":
            buttons = _buttons(event)
            if not buttons:
                continue
            (current if in_latest_turn else earlier).extend(buttons)
            seen += 0 if in_latest_turn else 1
            if seen >= EARLIER_BUTTON_MESSAGES:
                break
    return current, earlier


def customer_text(text: Any, events: Iterable[Any]) -> Any:
    """What a customer's message may be taken as (see the module docstring)."""
    if not isinstance(text, str) or not text.lstrip().startswith("/"):
        return text
    key = payload_key(text)
    current, earlier = offered_buttons(events)
    if not is_control(key):
        for button in current:
            if payload_key(button["payload"]) == key:
                return str(button["payload"]).strip()
        for button in earlier:
            if payload_key(button["payload"]) == key and button.get("title"):
                return str(button["title"]).strip()
    return text.strip().lstrip("/").strip()
