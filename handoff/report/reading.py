"""Reading what the report counts: Rasa's tracker store and the handoff tables, as they are.

The tracker store is read with ``seba.tracker_db`` (Rasa's SQL ``events`` table, SQLite or
PostgreSQL): only ``session_started`` and ``user`` events, which is all the figures need
(the customer's words, the intent the bot understood, where Rasa sessions begin). The
handoff tables are read with ``handoff.db``: tickets (handovers, their times and ratings)
and the ratings of the bot alone. Nothing is copied anywhere.

Times: Rasa stores Unix timestamps; the handoff tables store naive shop-local datetimes
(``handoff.db``). Both are compared as Unix timestamps (``handoff.db.to_epoch``).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set

import sqlalchemy as sa
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from handoff.db import session_scope, to_epoch
from handoff.models import BotRating, Ticket
from seba import tracker_db
from seba.language import EXTERNAL_PREFIX

EVENT_TYPES = ("session_started", "user")
_SENDER_CHUNK = 500


@dataclass(frozen=True)
class CustomerMessage:
    """One message the customer sent (typed, or a button they pressed)."""

    at: float  # Unix time
    text: str
    intent: Optional[str]
    confidence: float
    guess: Optional[str]  # the classifier's first real intent (under nlu_fallback too)
    faq_key: Optional[str]  # "faq/delivery_time" when the intent is faq
    page_language: Optional[str]  # the language the web bubble sent with it, if any

    @property
    def is_button(self) -> bool:
        return self.text.lstrip().startswith("/")

    def as_event(self) -> Dict[str, object]:
        """The shape ``seba.language.language_for_events`` reads."""
        return {
            "event": "user",
            "text": self.text,
            "metadata": {"language": self.page_language} if self.page_language else {},
        }


@dataclass
class Session:
    """One Rasa conversation session of one sender (from a ``session_started`` event to the
    next), as far as it lies in the window that was read."""

    sender_id: str
    started: float
    leading: bool = False  # began before anything we read (no session_started seen)
    opened_by_console: bool = False  # its first user event is the console's (EXTERNAL_…)
    messages: List[CustomerMessage] = field(default_factory=list)
    _seen_user_event: bool = False


@dataclass(frozen=True)
class TicketRow:
    id: int
    conversation_id: str
    reason: str
    state: str
    resolution: Optional[str]
    created_at: dt.datetime  # naive shop-local
    assigned_at: Optional[dt.datetime]
    resolved_at: Optional[dt.datetime]
    rating: Optional[int]

    @property
    def created(self) -> float:
        return to_epoch(self.created_at)

    def open_at(self, moment: float) -> bool:
        """Waiting or with an agent at ``moment`` (Unix time)."""
        return self.created < moment and (
            self.resolved_at is None or to_epoch(self.resolved_at) > moment
        )


@dataclass(frozen=True)
class BotRatingRow:
    conversation_id: str
    rating: int
    created_at: dt.datetime  # naive shop-local

    @property
    def created(self) -> float:
        return to_epoch(self.created_at)


# --- the tracker store ---------------------------------------------------------------------


def _is_external(data: Dict) -> bool:
    """An intent the console triggered through Rasa's API (the hand back), not the customer."""
    metadata = data.get("metadata")
    return bool(isinstance(metadata, dict) and metadata.get("is_external")) or str(
        data.get("text") or ""
    ).startswith(EXTERNAL_PREFIX)


def _message(data: Dict, at: float) -> CustomerMessage:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    guess = name
    if name == "nlu_fallback":  # what the classifier would have said
        ranked = [r for r in parse.get("intent_ranking") or [] if r.get("name") != name]
        guess = ranked[0].get("name") if ranked else None
    faq_key = None
    if name == "faq":
        selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        faq_key = selector.get("intent_response_key")
    metadata = data.get("metadata") or {}
    page_language = metadata.get("language") if isinstance(metadata, dict) else None
    return CustomerMessage(
        at,
        str(data.get("text") or ""),
        name,
        confidence,
        guess,
        faq_key,
        page_language if page_language in ("bn", "en") else None,
    )


def read_sessions(engine: Engine, start: dt.datetime, end: dt.datetime) -> Dict[str, List[Session]]:
    """Every sender's sessions with events between ``start`` and ``end`` (timezone-aware),
    in order. A sender whose first event read is not a ``session_started`` gets a leading
    session; it is marked ``leading`` and the caller decides with ``senders_before``
    whether it began before ``start``."""
    sessions: Dict[str, List[Session]] = defaultdict(list)
    for row in tracker_db.events_between(engine, start, end, types=EVENT_TYPES):
        mine = sessions[row.sender_id]
        if row.type_name == "session_started":
            mine.append(Session(row.sender_id, row.timestamp))
            continue
        if not mine:
            mine.append(Session(row.sender_id, row.timestamp, leading=True))
        session = mine[-1]
        first = not session._seen_user_event
        session._seen_user_event = True
        if _is_external(row.data):
            session.opened_by_console = session.opened_by_console or first
            continue
        session.messages.append(_message(row.data, row.timestamp))
    return dict(sessions)


_EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def senders_before(engine: Engine, senders: Iterable[str], moment: dt.datetime) -> Set[str]:
    """Which of ``senders`` have any event stored before ``moment``."""
    wanted, found = sorted(set(senders)), set()
    for index in range(0, len(wanted), _SENDER_CHUNK):
        chunk = wanted[index : index + _SENDER_CHUNK]
        query = (
            sa.select(_EVENTS.c.sender_id)
            .distinct()
            .where(_EVENTS.c.sender_id.in_(chunk), _EVENTS.c.timestamp < moment.timestamp())
        )
        with engine.connect() as connection:
            found.update(r[0] for r in connection.execute(query))
    return found


def event_fingerprint(engine: Engine) -> tuple:
    """Changes whenever Rasa stores (or someone deletes) an event: for the report cache."""
    if not sa.inspect(engine).has_table("events"):
        return (0, 0)
    table = sa.table("events", sa.column("id"))
    with engine.connect() as connection:
        row = connection.execute(sa.select(sa.func.max(table.c.id), sa.func.count())).one()
    return (row[0] or 0, row[1] or 0)


# --- the handoff tables ----------------------------------------------------------------------


def read_tickets(
    start: dt.datetime, end: dt.datetime, *, url: Optional[str] = None
) -> List[TicketRow]:
    """Tickets that were open at some point between ``start`` and ``end`` (naive
    shop-local): created before ``end`` and not closed before ``start``."""
    with session_scope(url) as session:
        rows = session.execute(
            select(
                Ticket.id,
                Ticket.conversation_id,
                Ticket.reason,
                Ticket.state,
                Ticket.resolution,
                Ticket.created_at,
                Ticket.assigned_at,
                Ticket.resolved_at,
                Ticket.rating,
            )
            .where(
                Ticket.created_at < end,
                or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= start),
            )
            .order_by(Ticket.created_at, Ticket.id)
        ).all()
    return [TicketRow(*row) for row in rows]


def read_bot_ratings(
    start: dt.datetime, end: dt.datetime, *, url: Optional[str] = None
) -> List[BotRatingRow]:
    with session_scope(url) as session:
        rows = session.execute(
            select(BotRating.conversation_id, BotRating.rating, BotRating.created_at)
            .where(BotRating.created_at >= start, BotRating.created_at < end)
            .order_by(BotRating.created_at, BotRating.id)
        ).all()
    return [BotRatingRow(*row) for row in rows]
