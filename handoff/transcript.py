"""Turn a Rasa tracker's events (JSON from ``GET /conversations/{id}/tracker``) into the
transcript the console shows: customer messages, bot replies, agent replies (bot events with
``metadata.agent``) and short system notes (paused for an agent, bot resumed, restart)."""

import datetime as dt
from typing import Any, Dict, Iterable, List, Optional

from handoff.db import from_epoch

EXTERNAL_PREFIX = "EXTERNAL: "  # rasa.shared.core.constants.EXTERNAL_MESSAGE_PREFIX


def N_(message: str) -> str:
    """Marks a console string for translation (the console translates the notes it shows)."""
    return message


SYSTEM_NOTES = {
    "pause": N_("Bot paused: waiting for an agent"),
    "resume": N_("Bot resumed"),
    "restart": N_("Conversation restarted"),
    "session_started": N_("New session"),
}


def _buttons(data: Any) -> List[str]:
    if not isinstance(data, dict):
        return []
    items = data.get("buttons") or data.get("quick_replies") or []
    titles = []
    for item in items:
        if isinstance(item, dict) and item.get("title"):
            titles.append(str(item["title"]))
    return titles


def _time(timestamp: Any) -> Optional[str]:
    try:
        return from_epoch(float(timestamp)).isoformat(timespec="seconds")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def build_transcript(
    events: Iterable[Dict[str, Any]],
    waiting_since: Optional[dt.datetime] = None,
    waiting_until: Optional[dt.datetime] = None,
) -> List[Dict[str, Any]]:
    """Items ``{"kind": customer|bot|agent|system, "text", "time", ...}`` in order.

    Customer messages between ``waiting_since`` (ticket created) and ``waiting_until``
    (claimed; open-ended while waiting) carry ``"while_waiting": True``.
    """
    from handoff.db import to_epoch

    since = to_epoch(waiting_since)
    until = to_epoch(waiting_until)
    items: List[Dict[str, Any]] = []
    for event in events or []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        timestamp = event.get("timestamp")
        when = _time(timestamp)
        if kind == "user":
            text = event.get("text") or ""
            metadata = event.get("metadata") or {}
            if metadata.get("is_external") or text.startswith(EXTERNAL_PREFIX):
                intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
                items.append(
                    {
                        "kind": "system",
                        "time": when,
                        "text": f"Bot event: {intent or text[len(EXTERNAL_PREFIX) :]}",
                    }
                )
                continue
            ts = float(timestamp) if isinstance(timestamp, (int, float)) else None
            items.append(
                {
                    "kind": "customer",
                    "text": text,
                    "time": when,
                    "channel": event.get("input_channel") or "",
                    "intent": ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
                    "while_waiting": bool(
                        since is not None
                        and ts is not None
                        and ts >= since
                        and (until is None or ts <= until)
                    ),
                }
            )
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            agent = metadata.get("agent")
            data = event.get("data") or {}
            text = event.get("text") or ""
            if not text and isinstance(data, dict):
                if data.get("image"):
                    text = f"[image] {data['image']}"
                elif data.get("attachment"):
                    text = "[attachment]"
                elif data.get("custom"):
                    text = "[custom message]"
            items.append(
                {
                    "kind": "agent" if agent else "bot",
                    "text": text,
                    "time": when,
                    "agent": agent,
                    "buttons": _buttons(data),
                }
            )
        elif kind in SYSTEM_NOTES:
            items.append({"kind": "system", "text": SYSTEM_NOTES[kind], "time": when})
    return items


def latest_customer_message(events: Iterable[Dict[str, Any]]):
    """(text, naive shop-local time) of the newest real customer message, or (None, None)."""
    for event in reversed(list(events or [])):
        if not isinstance(event, dict) or event.get("event") != "user":
            continue
        text = event.get("text") or ""
        if (event.get("metadata") or {}).get("is_external") or text.startswith(EXTERNAL_PREFIX):
            continue
        try:
            return text, from_epoch(float(event.get("timestamp")))
        except (TypeError, ValueError, OverflowError, OSError):
            return text, None
    return None, None
