"""The contract every courier module fulfils, and the helpers they share.

A courier module (``couriers/pathao.py`` …) is one small class, like Rasa's one connector per
channel. It says, as the courier documents it:

* ``verify(request, secret)``: is this call the courier's? (its header, token or signature);
* ``parse(body)``: the call's updates, :class:`Update` (ValueError: malformed, nothing stored);
* ``STAGES``: the courier's own status word → one of ``COURIER_STAGES``, or None (a status the
  customer need not hear of; still stored for the shop);
* ``accepted()`` / ``refused(status, reason)`` / ``duplicate()``: the answers the courier
  expects (a duplicate is answered like an acceptance: it was stored the first time);
* ``handshake(body)``: a setup call the courier makes to test the URL (Pathao's), or None.

The shared webhook (``couriers/webhook.py``) and the intake (``couriers/intake.py``) do the
rest the same way for every courier.
"""

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from seba.db import shop_timezone
from seba.db.models import COURIER_STAGES


@dataclass(frozen=True)
class Update:
    """One status update about one parcel, as a courier reported it."""

    event_key: str  # what makes a redelivery the same event (unique per courier)
    tracking_code: str  # the courier's number for the parcel (orders.tracking_code)
    raw_status: str  # the courier's own word for it
    occurred_at: Optional[dt.datetime]  # shop-local, naive; None if the courier sent no time
    message: Optional[str] = None  # the courier's note, if any


class Courier:
    """One courier's webhook dialect. Subclasses set the class attributes and ``parse``."""

    #: Short name: the webhook path (/webhooks/<name>/webhook) and courier_events.courier.
    name = ""
    #: The courier as orders.courier spells it (seba.db.models.COURIERS).
    label = ""
    #: Where its secret lives (var/secrets.env or the environment; seba/secrets.py).
    secret_name = ""
    #: The courier's status words → COURIER_STAGES (or None).
    STAGES: Mapping[str, Optional[str]] = {}

    def verify(self, request: Request, secret: str) -> bool:
        raise NotImplementedError

    def parse(self, body: Dict[str, Any]) -> List[Update]:
        raise NotImplementedError

    def stage(self, raw_status: str) -> Optional[str]:
        """The stage a status means; None for a status the customer need not hear of (or one
        this module does not know yet: stored, and the shop sees it)."""
        stage = self.STAGES.get(normal_status(raw_status))
        assert stage is None or stage in COURIER_STAGES, stage
        return stage

    def handshake(self, body: Dict[str, Any]) -> Optional[HTTPResponse]:
        return None

    def accepted(self) -> HTTPResponse:
        return response.json({"status": "ok"})

    def duplicate(self) -> HTTPResponse:
        return self.accepted()

    def refused(self, status: int, reason: str) -> HTTPResponse:
        return response.json({"status": "error", "message": reason}, status=status)


# --- helpers for the courier modules ------------------------------------------------------


def same_secret(given: Optional[str], expected: Optional[str]) -> bool:
    """Constant-time comparison; an empty secret on either side never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def bearer(request: Request, header: str = "Authorization") -> Optional[str]:
    """The token of ``<header>: Bearer <token>``, else None."""
    scheme, _, token = (request.headers.get(header) or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def normal_status(raw: Any) -> str:
    """``"Delivered"``, ``"delivered "`` and ``"DELIVERED"`` are one status."""
    return str(raw or "").strip().lower().replace(" ", "_")


def text_field(body: Dict[str, Any], *names: str, limit: int = 60) -> Optional[str]:
    """The first of ``names`` that is present, as text; ValueError if it is not a short text
    or whole number (an object where a tracking code belongs is not skipped: it is wrong)."""
    for name in names:
        value = body.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"'{name}' must be text")
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"'{name}' is too long")
        if text:
            return text
    return None


def required(body: Dict[str, Any], *names: str, limit: int = 60) -> str:
    value = text_field(body, *names, limit=limit)
    if value is None:
        raise ValueError(f"'{names[0]}' is required")
    return value


def note(body: Dict[str, Any], *names: str, limit: int = 1000) -> Optional[str]:
    """A courier's free-text note, bounded; None if absent."""
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:limit]
    return None


def courier_time(value: Any) -> Optional[dt.datetime]:
    """A courier's time as shop-local naive datetime (how Seba stores times).

    ISO 8601 with an offset (``2024-12-27T17:49:43+00:00``, ``…Z``) is converted; a time
    without an offset (``2024-12-27 23:49:43``) is taken as shop-local already (Bangladeshi
    couriers write Dhaka time); a number is a Unix time in seconds (or milliseconds).
    None for an absent value; ValueError for one that is not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        try:
            moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError("not a time") from None
    elif isinstance(value, str) and len(value) <= 40:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError("not a time")
    if moment.tzinfo is not None:
        moment = moment.astimezone(shop_timezone()).replace(tzinfo=None)
    return moment


def canonical(body: Dict[str, Any]) -> str:
    """The body as one text, whatever order its keys came in (for event keys)."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def digest_key(*parts: Any) -> str:
    """An event key for couriers that send no event id: the same report gives the same key."""
    text = json.dumps([str(p) if p is not None else None for p in parts], ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
