"""The handoff queue: the Python API the bot's ``action_handoff`` and the agent console use.

Typical use from a custom action::

    from handoff import queue

    result = queue.enqueue(tracker.sender_id, tracker.get_latest_input_channel(),
                           language, "customer_request", last_message=text)
    # result.position, result.expected_wait_minutes, result.agents_available,
    # result.agents_back_at -> tell the customer; then return [ConversationPaused()]

Rules kept here:
- one open (waiting/assigned) ticket per conversation: ``enqueue`` returns the open one
  (also enforced by a partial unique index, so a race between two inserts cannot make two);
- FIFO: waiting tickets are served oldest first;
- a claim is one conditional UPDATE (``... WHERE id = ? AND state = 'waiting'``) whose row
  count says who won; ``claim_next`` picks its row with ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so two agents never get one conversation;
- a waiting customer quiet for ``HANDOFF_ABANDON_AFTER_MINUTES`` is abandoned by
  ``sweep_abandoned`` (the console runs it every minute; ``python -m handoff sweep`` too).

Times are naive shop-local datetimes (``now`` may also be timezone-aware; it is converted).
Every function takes ``url=`` to use another database than ``handoff.config.database_url()``.
"""

import datetime as dt
import logging
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from handoff import config
from handoff.db import as_local, session_scope
from handoff.models import OPEN_STATES, REASONS, Agent, BotRating, Ticket
from handoff.views import AgentView, TicketView

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
CLAIM_ATTEMPTS = 10


@dataclass(frozen=True)
class EnqueueResult:
    ticket_id: int
    created: bool  # False: the conversation already had an open ticket (returned as is)
    position: int  # 1 = next in line; 0 = an agent has it already
    expected_wait_minutes: Optional[int]  # None when no agent is available
    agents_available: bool  # within agent hours and someone online
    agents_back_at: Optional[dt.datetime]  # next start of agent hours, when outside them
    state: str = "waiting"  # waiting / assigned


@dataclass
class QueueSnapshot:
    now: dt.datetime
    waiting: List[TicketView] = field(default_factory=list)  # FIFO
    assigned: List[TicketView] = field(default_factory=list)
    agents: List[AgentView] = field(default_factory=list)
    within_hours: bool = False
    agents_available: bool = False
    resolved_today: int = 0
    abandoned_today: int = 0

    def online_agents(self) -> List[AgentView]:
        return [a for a in self.agents if a.is_online(self.now, config.ONLINE_WINDOW_SECONDS)]

    def to_json(self) -> Dict[str, Any]:
        online_ids = {a.id for a in self.online_agents()}
        waiting = []
        for position, ticket in enumerate(self.waiting, start=1):
            item = ticket.to_json(self.now)
            item["position"] = position
            waiting.append(item)
        return {
            "now": self.now.isoformat(timespec="seconds"),
            "waiting": waiting,
            "assigned": [t.to_json(self.now) for t in self.assigned],
            "agents": [
                dict(a.to_json(), online=a.id in online_ids) for a in self.agents if a.is_active
            ],
            "within_hours": self.within_hours,
            "agents_available": self.agents_available,
            "resolved_today": self.resolved_today,
            "abandoned_today": self.abandoned_today,
        }


# --- helpers ----------------------------------------------------------------------------


def _clip(text: Optional[str]) -> Optional[str]:
    if text is None:
        return None
    text = str(text).strip()
    return text[:MAX_MESSAGE_CHARS] if text else None


def _language(language: Optional[str]) -> str:
    from seba.language import reply_language

    if language in ("bn", "en"):
        return language
    return reply_language(language) if language else "bn"


def _open_ticket(session, conversation_id: str) -> Optional[Ticket]:
    return session.execute(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.state.in_(OPEN_STATES))
        .order_by(Ticket.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _position(session, ticket: Ticket) -> int:
    if ticket.state != "waiting":
        return 0
    ahead = session.execute(
        select(func.count(Ticket.id)).where(
            Ticket.state == "waiting",
            or_(
                Ticket.created_at < ticket.created_at,
                and_(Ticket.created_at == ticket.created_at, Ticket.id < ticket.id),
            ),
        )
    ).scalar_one()
    return int(ahead) + 1


def _online_count(session, now: dt.datetime) -> int:
    since = now - dt.timedelta(seconds=config.ONLINE_WINDOW_SECONDS)
    return int(
        session.execute(
            select(func.count(Agent.id)).where(
                Agent.is_active.is_(True),
                Agent.status == "online",
                Agent.last_seen >= since,
            )
        ).scalar_one()
    )


def _median_handling_minutes(session) -> float:
    rows = session.execute(
        select(Ticket.assigned_at, Ticket.resolved_at)
        .where(
            Ticket.state == "resolved",
            Ticket.assigned_at.is_not(None),
            Ticket.resolved_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(config.HANDLING_SAMPLE)
    ).all()
    minutes = [
        (resolved - assigned).total_seconds() / 60
        for assigned, resolved in rows
        if resolved >= assigned
    ]
    return statistics.median(minutes) if minutes else float(config.DEFAULT_HANDLING_MINUTES)


def _agent_hours():
    from seba.settings import load_settings

    return load_settings().agent_hours


def within_agent_hours(now: Optional[dt.datetime] = None) -> bool:
    return _agent_hours().is_open(as_local(now))


def agents_back_at(now: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
    """When agent hours next begin (shop-local), or None while they are on now."""
    from seba.settings import WEEKDAYS

    now = as_local(now)
    hours = _agent_hours()
    if hours.is_open(now):
        return None
    for days in range(0, 8):
        day = now.date() + dt.timedelta(days=days)
        if WEEKDAYS[day.weekday()] in hours.closed_days:
            continue
        start = dt.datetime.combine(day, hours.open)
        if start > now:
            return start
    return None  # every day closed


def _estimate(session, position: int, available: bool) -> Optional[int]:
    if not available:
        return None
    if position <= 0:
        return 0
    return max(1, math.ceil(position * _median_handling_minutes(session)))


# --- the API ------------------------------------------------------------------------------


def enqueue(
    conversation_id: str,
    channel: Optional[str],
    language: Optional[str],
    reason: str,
    last_message: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    *,
    summary: Optional[str] = None,
    url: Optional[str] = None,
) -> EnqueueResult:
    """Put the conversation in the queue, or return its open ticket (idempotent).

    ``reason`` is one of ``models.REASONS``; ``language`` bn/en (banglish counts as bn).
    """
    if not conversation_id:
        raise ValueError("conversation_id is required")
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
    now = as_local(now)
    created = False
    for _attempt in range(3):
        try:
            with session_scope(url) as session:
                ticket = _open_ticket(session, conversation_id)
                if ticket is None:
                    ticket = Ticket(
                        conversation_id=conversation_id,
                        channel=(channel or "")[:40],
                        language=_language(language),
                        reason=reason,
                        state="waiting",
                        created_at=now,
                        last_customer_message_at=now if last_message else None,
                        last_message=_clip(last_message),
                        summary=_clip(summary),
                    )
                    session.add(ticket)
                    session.flush()  # the partial unique index speaks here
                    created = True
                elif last_message:
                    # The customer asked again: keep the newest message in the queue view.
                    ticket.last_message = _clip(last_message)
                    if not ticket.last_customer_message_at or ticket.last_customer_message_at < now:
                        ticket.last_customer_message_at = now
                position = _position(session, ticket)
                available = _online_count(session, now) > 0 and within_agent_hours(now)
                return EnqueueResult(
                    ticket_id=ticket.id,
                    created=created,
                    position=position,
                    expected_wait_minutes=_estimate(session, position, available),
                    agents_available=available,
                    agents_back_at=None if available else agents_back_at(now),
                    state=ticket.state,
                )
        except IntegrityError:
            # Another process opened a ticket for this conversation between our SELECT and
            # INSERT; the next round returns that one.
            created = False
            logger.info("enqueue race for %s; returning the other ticket", conversation_id)
    raise RuntimeError(f"could not enqueue conversation {conversation_id!r}")


def agents_available(now: Optional[dt.datetime] = None, *, url: Optional[str] = None) -> bool:
    """Within agent hours (shop.yml ``hours.agents``) and at least one agent online."""
    now = as_local(now)
    if not within_agent_hours(now):
        return False
    with session_scope(url) as session:
        return _online_count(session, now) > 0


def expected_wait_minutes(position: int, *, url: Optional[str] = None) -> int:
    """position x the median handling time of recent resolved tickets (default 5 min)."""
    with session_scope(url) as session:
        return _estimate(session, position, True) or 0


def claim(
    ticket_id: int, agent_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> bool:
    """Assign a waiting ticket to the agent. True when this agent has it now (also when they
    had it already); False when it is not waiting (another agent was first, or it closed)."""
    now = as_local(now)
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.state == "waiting")
            .values(state="assigned", agent_id=agent_id, assigned_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            return True
        owner = session.execute(
            select(Ticket.agent_id).where(Ticket.id == ticket_id, Ticket.state == "assigned")
        ).scalar_one_or_none()
        return owner == agent_id


def claim_next(
    agent_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> Optional[TicketView]:
    """Assign the longest-waiting ticket to the agent; None when nobody waits."""
    now = as_local(now)
    for _attempt in range(CLAIM_ATTEMPTS):
        with session_scope(url) as session:
            # PostgreSQL: rows another transaction is claiming right now are skipped instead
            # of waited for. SQLite has no row locks (the clause is left out); the
            # conditional UPDATE below decides there.
            candidate = session.execute(
                select(Ticket.id)
                .where(Ticket.state == "waiting")
                .order_by(Ticket.created_at, Ticket.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if candidate is None:
                # Nothing visible: maybe everything is locked by other claims; look once more
                # without skipping before giving up.
                if (
                    session.execute(
                        select(func.count(Ticket.id)).where(Ticket.state == "waiting")
                    ).scalar_one()
                    == 0
                ):
                    return None
                continue
            result = session.execute(
                update(Ticket)
                .where(Ticket.id == candidate, Ticket.state == "waiting")
                .values(state="assigned", agent_id=agent_id, assigned_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                session.flush()
                ticket = session.get(Ticket, candidate, populate_existing=True)
                return TicketView.of(ticket)
    return None


def _close(ticket_id: int, agent_id: int, resolution: str, now, url) -> bool:
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.state == "assigned", Ticket.agent_id == agent_id)
            .values(state="resolved", resolution=resolution, resolved_at=as_local(now))
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def resolve(
    ticket_id: int, agent_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> bool:
    """The agent solved it. Only the assigned agent can; False otherwise."""
    return _close(ticket_id, agent_id, "resolved", now, url)


def hand_back(
    ticket_id: int, agent_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> bool:
    """The agent gives the conversation back to the bot (state resolved, resolution
    handed_back). Resuming the Rasa conversation is ``rasa_client.RasaClient.hand_back``."""
    return _close(ticket_id, agent_id, "handed_back", now, url)


def release(
    ticket_id: int, agent_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> bool:
    """The agent puts an assigned ticket back in the queue (it keeps its place: FIFO is by
    ``created_at``)."""
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.state == "assigned", Ticket.agent_id == agent_id)
            .values(state="waiting", agent_id=None, assigned_at=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def record_rating(
    conversation_id: str,
    rating: Any,
    now: Optional[dt.datetime] = None,
    *,
    url: Optional[str] = None,
) -> str:
    """Store the customer's 1-5 rating. Returns ``"ticket"`` when it was stored on the
    conversation's latest ticket (closed by an agent - resolved or handed back - within
    ``HANDOFF_RATING_WINDOW_MINUTES``; a later rating replaces an earlier one), else ``"bot"``
    (``bot_ratings``: the bot solved it alone)."""
    try:
        value = int(str(rating).strip())
    except (TypeError, ValueError):
        raise ValueError(f"rating must be a whole number 1-5, not {rating!r}") from None
    if not 1 <= value <= 5:
        raise ValueError(f"rating must be 1-5, not {value}")
    now = as_local(now)
    since = now - dt.timedelta(minutes=config.rating_window_minutes())
    with session_scope(url) as session:
        latest = session.execute(
            select(Ticket)
            .where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if (
            latest is not None
            and latest.state == "resolved"
            and latest.resolved_at is not None
            and latest.resolved_at >= since
        ):
            # A second answer (the customer changed their mind) replaces the first.
            latest.rating, latest.rated_at = value, now
            return "ticket"
        session.add(BotRating(conversation_id=conversation_id, rating=value, created_at=now))
        return "bot"


def touch_customer(
    conversation_id: str,
    now: Optional[dt.datetime] = None,
    last_message: Optional[str] = None,
    *,
    url: Optional[str] = None,
) -> bool:
    """The customer wrote at ``now`` (keeps a waiting ticket from being abandoned; updates the
    last message shown in the queue). True when an open ticket was updated."""
    now = as_local(now)
    values: Dict[str, Any] = {"last_customer_message_at": now}
    if last_message:
        values["last_message"] = _clip(last_message)
    with session_scope(url) as session:
        result = session.execute(
            update(Ticket)
            .where(
                Ticket.conversation_id == conversation_id,
                Ticket.state.in_(OPEN_STATES),
                or_(
                    Ticket.last_customer_message_at.is_(None),
                    Ticket.last_customer_message_at < now,
                ),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount > 0


def sweep_abandoned(
    now: Optional[dt.datetime] = None,
    after_minutes: Optional[int] = None,
    *,
    url: Optional[str] = None,
) -> List[TicketView]:
    """Abandon waiting tickets whose customer has been quiet for ``after_minutes`` (default
    ``HANDOFF_ABANDON_AFTER_MINUTES``, 30) of agent hours: nothing is abandoned outside agent
    hours, nor in the first ``after_minutes`` after they begin. Returns the tickets abandoned
    now; their Rasa conversations are still paused - the console resumes them."""
    now = as_local(now)
    cutoff = now - dt.timedelta(minutes=after_minutes or config.abandon_after_minutes())
    # Only time within agent hours counts: a customer who asked at night was told that the
    # team is back in the morning and that the message is kept, so the ticket must still be
    # there when the agents come (and they get the usual time to pick it up).
    hours = _agent_hours()
    if not hours.is_open(now) or dt.datetime.combine(now.date(), hours.open) > cutoff:
        return []
    quiet_since = func.coalesce(Ticket.last_customer_message_at, Ticket.created_at)
    abandoned: List[TicketView] = []
    with session_scope(url) as session:
        ids = (
            session.execute(
                select(Ticket.id).where(Ticket.state == "waiting", quiet_since < cutoff)
            )
            .scalars()
            .all()
        )
    for ticket_id in ids:
        with session_scope(url) as session:
            # Conditional again: a claim or a new message in between wins over the sweep.
            result = session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.state == "waiting", quiet_since < cutoff)
                .values(state="abandoned", resolution="abandoned", resolved_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                abandoned.append(TicketView.of(session.get(Ticket, ticket_id)))
    if abandoned:
        logger.info("abandoned %d waiting conversation(s)", len(abandoned))
    return abandoned


def unreleased_abandoned(*, url: Optional[str] = None) -> List[TicketView]:
    """Abandoned tickets whose conversation the bot has not got back yet (Rasa was down when
    the sweep tried), unless the customer asked for a person again since."""
    with session_scope(url) as session:
        tickets = (
            session.execute(
                select(Ticket)
                .where(Ticket.state == "abandoned", Ticket.released_at.is_(None))
                .order_by(Ticket.resolved_at)
            )
            .scalars()
            .all()
        )
        return [
            TicketView.of(t) for t in tickets if _open_ticket(session, t.conversation_id) is None
        ]


def mark_released(
    ticket_id: int, now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> None:
    with session_scope(url) as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.released_at.is_(None))
            .values(released_at=as_local(now))
            .execution_options(synchronize_session=False)
        )


def get_ticket(ticket_id: int, *, url: Optional[str] = None) -> Optional[TicketView]:
    with session_scope(url) as session:
        ticket = session.get(Ticket, ticket_id)
        return TicketView.of(ticket) if ticket else None


def open_ticket(conversation_id: str, *, url: Optional[str] = None) -> Optional[TicketView]:
    """The conversation's waiting/assigned ticket, if any."""
    with session_scope(url) as session:
        ticket = _open_ticket(session, conversation_id)
        return TicketView.of(ticket) if ticket else None


def open_tickets(*, url: Optional[str] = None) -> List[TicketView]:
    with session_scope(url) as session:
        tickets = (
            session.execute(
                select(Ticket).where(Ticket.state.in_(OPEN_STATES)).order_by(Ticket.created_at)
            )
            .scalars()
            .all()
        )
        return [TicketView.of(t) for t in tickets]


def queue_snapshot(
    now: Optional[dt.datetime] = None, *, url: Optional[str] = None
) -> QueueSnapshot:
    """Everything the console's queue screen shows."""
    now = as_local(now)
    day_start = dt.datetime.combine(now.date(), dt.time())
    with session_scope(url) as session:
        open_rows = (
            session.execute(
                select(Ticket)
                .where(Ticket.state.in_(OPEN_STATES))
                .order_by(Ticket.created_at, Ticket.id)
            )
            .scalars()
            .all()
        )
        agents = session.execute(select(Agent).order_by(Agent.display_name)).scalars().all()
        closed = dict(
            session.execute(
                select(Ticket.state, func.count(Ticket.id))
                .where(Ticket.state.in_(("resolved", "abandoned")), Ticket.resolved_at >= day_start)
                .group_by(Ticket.state)
            ).all()
        )
        snapshot = QueueSnapshot(
            now=now,
            waiting=[TicketView.of(t) for t in open_rows if t.state == "waiting"],
            assigned=[TicketView.of(t) for t in open_rows if t.state == "assigned"],
            agents=[AgentView.of(a) for a in agents],
            resolved_today=int(closed.get("resolved", 0)),
            abandoned_today=int(closed.get("abandoned", 0)),
        )
    snapshot.within_hours = within_agent_hours(now)
    snapshot.agents_available = snapshot.within_hours and bool(snapshot.online_agents())
    return snapshot


def customer_values(
    result: EnqueueResult, lang: str, now: Optional[dt.datetime] = None
) -> Dict[str, str]:
    """Template values for the bot's "you are in the queue" responses, in ``lang``:
    ``queue_position`` ("২"), ``wait_minutes`` ("১০"), ``agents_back`` ("আগামীকাল সকাল ১০টা" /
    "tomorrow 10 AM"; empty while agents are within their hours)."""
    from seba import i18n
    from seba.settings import WEEKDAY_LABELS, WEEKDAYS, _clock

    values = {
        "queue_position": i18n.number(result.position, lang),
        "wait_minutes": i18n.number(result.expected_wait_minutes or 0, lang),
        "agents_back": "",
    }
    back = result.agents_back_at
    if back is not None:
        today = as_local(now).date()
        clock = _clock(back.strftime("%H:%M"), lang)
        weekday = WEEKDAYS[back.weekday()]
        if back.date() == today:
            day = "today" if lang == "en" else "আজ"
        elif back.date() == today + dt.timedelta(days=1):
            day = "tomorrow" if lang == "en" else "আগামীকাল"
        else:
            day = weekday.capitalize() if lang == "en" else WEEKDAY_LABELS[weekday]
        values["agents_back"] = f"{day} {clock}"
    return values
