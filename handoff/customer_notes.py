"""Private notes beside a conversation, and the customer's history in the handoff database
(earlier tickets, ratings) — the console's customer panel (handoff/console/customer_panel.py).

A note is never sent anywhere: it is a row in ``handoff_customer_notes``, read only by the
console. Notes belong to a conversation id and, when the conversation is linked to a
customer (seba/customers.py), to that customer too, so they follow the customer to their
other conversations. ``delivery_time`` notes are written by the bot (a customer's answer to
a failed delivery attempt).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, List, Optional

from sqlalchemy import or_, select

from handoff.db import local_now, session_scope
from handoff.models import NOTE_KINDS, BotRating, CustomerNote, Ticket

MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class NoteView:
    id: int
    conversation_id: str
    kind: str
    body: str
    author: str
    order_number: Optional[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class PastTicket:
    id: int
    conversation_id: str
    channel: str
    reason: str
    state: str
    created_at: dt.datetime
    rating: Optional[int]


@dataclass(frozen=True)
class PastRating:
    conversation_id: str
    rating: int
    created_at: dt.datetime


def add_note(
    conversation_id: str,
    body: str,
    author: str,
    *,
    agent_id: Optional[int] = None,
    customer_id: Optional[int] = None,
    kind: str = "agent",
    order_number: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> int:
    """Store a note; ValueError for an empty or over-long body or an unknown kind."""
    body = (body or "").strip()
    if not body or len(body) > MAX_NOTE_CHARS or kind not in NOTE_KINDS:
        raise ValueError("a note needs 1-%d characters and a known kind" % MAX_NOTE_CHARS)
    with session_scope(url) as session:
        note = CustomerNote(
            conversation_id=conversation_id,
            customer_id=customer_id,
            kind=kind,
            body=body,
            agent_id=agent_id,
            author=(author or "agent")[:120],
            order_number=order_number,
            created_at=now or local_now(),
        )
        session.add(note)
        session.flush()
        return note.id


def notes_for(
    conversation_id: str, customer_id: Optional[int] = None, *, url: Optional[str] = None
) -> List[NoteView]:
    """The conversation's notes and, if linked, the customer's from elsewhere; newest first."""
    condition = CustomerNote.conversation_id == conversation_id
    if customer_id is not None:
        condition = or_(condition, CustomerNote.customer_id == customer_id)
    with session_scope(url) as session:
        rows = session.execute(
            select(CustomerNote)
            .where(condition)
            .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc())
        ).scalars()
        return [
            NoteView(
                n.id, n.conversation_id, n.kind, n.body, n.author, n.order_number, n.created_at
            )
            for n in rows
        ]


def history(
    conversation_ids: Iterable[str],
    except_ticket: Optional[int] = None,
    *,
    url: Optional[str] = None,
) -> tuple:
    """(earlier tickets, bot ratings) of these conversations, newest first."""
    ids = [c for c in dict.fromkeys(conversation_ids) if c]
    if not ids:
        return [], []
    with session_scope(url) as session:
        tickets = session.execute(
            select(Ticket)
            .where(Ticket.conversation_id.in_(ids), Ticket.id != (except_ticket or -1))
            .order_by(Ticket.created_at.desc())
            .limit(20)
        ).scalars()
        past = [
            PastTicket(
                t.id, t.conversation_id, t.channel, t.reason, t.state, t.created_at, t.rating
            )
            for t in tickets
        ]
        ratings = session.execute(
            select(BotRating)
            .where(BotRating.conversation_id.in_(ids))
            .order_by(BotRating.created_at.desc())
            .limit(20)
        ).scalars()
        return past, [PastRating(r.conversation_id, r.rating, r.created_at) for r in ratings]
