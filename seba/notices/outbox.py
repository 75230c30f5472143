"""The database side of order updates: lease, plan, finish (``order_notices``), STOP/START
(``channel_identities``). Synchronous SQLAlchemy; the deliverer calls it in a thread.

A lease is a conditional UPDATE (``lease_until`` empty or past, state still pending or
waiting): of two workers that both saw a notice, the one whose UPDATE changed the row owns
it — on SQLite and PostgreSQL alike, no row locks held while a message is sent.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, List, Optional

from sqlalchemy import and_, or_, select, update

from seba.db import local_now, session_scope
from seba.db.models import ChannelIdentity, Order, OrderNotice, VerificationAttempt
from seba.notices.config import lease_seconds, notice_settings

#: The stages a customer hears about (in transit is only the courier's bookkeeping).
TOLD_STAGES = ("picked_up", "out_for_delivery", "delivered", "returned")
#: Conversation-id prefix -> Rasa's output channel name.
CHANNELS = {"tg": "telegram", "fb": "facebook", "web": "socketio", "rest": "rest"}
#: Channels the bot can reach with no message of the customer's in flight.
PUSH_CHANNELS = ("telegram", "facebook", "socketio")
OPEN_STATES = ("pending", "waiting")


def channel_of(conversation_id: str) -> Optional[str]:
    prefix, _, rest = (conversation_id or "").partition(":")
    return CHANNELS.get(prefix) if rest else None


@dataclass
class Plan:
    """What to do with one leased notice."""

    id: int
    kind: str
    stage: Optional[str]
    order_number: str
    conversation_id: Optional[str]
    channel: Optional[str]
    detail: str = ""
    attempts: int = 0
    skip_reason: Optional[str] = None  # set: mark skipped, send nothing


def _now(now: Optional[dt.datetime]) -> dt.datetime:
    return now or local_now()


def lease_due(
    now: Optional[dt.datetime] = None,
    connected: Iterable[str] = (),
    limit: int = 20,
    url: Optional[str] = None,
) -> List[int]:
    """Lease the notices this worker should look at now: pending or waiting ones that are
    due, and waiting ones of web visitors connected to this worker (``connected``)."""
    now = _now(now)
    free = or_(OrderNotice.lease_until.is_(None), OrderNotice.lease_until < now)
    due = or_(OrderNotice.due_at.is_(None), OrderNotice.due_at <= now)
    wanted = and_(OrderNotice.state.in_(OPEN_STATES), free, due)
    connected = [c for c in connected if c]
    if connected:
        here = and_(
            OrderNotice.state == "waiting",
            OrderNotice.reason == "not_connected",
            OrderNotice.conversation_id.in_(connected),
            free,
        )
        wanted = or_(wanted, here)
    leased: List[int] = []
    with session_scope(url) as session:
        ids = session.execute(
            select(OrderNotice.id).where(wanted).order_by(OrderNotice.id).limit(limit)
        ).scalars()
        until = now + dt.timedelta(seconds=lease_seconds())
        for notice_id in list(ids):
            taken = session.execute(
                update(OrderNotice)
                .where(
                    OrderNotice.id == notice_id,
                    OrderNotice.state.in_(OPEN_STATES),
                    or_(OrderNotice.lease_until.is_(None), OrderNotice.lease_until < now),
                )
                .values(lease_until=until, attempts=OrderNotice.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            session.commit()  # each lease on its own: the other worker sees it at once
            if taken.rowcount == 1:
                leased.append(notice_id)
    return leased


def proving_conversation(session, order_number: str) -> Optional[str]:
    """The conversation whose latest successful order check was for this order: the only
    place its updates go (ChannelIdentity links, issue 13's returning customers, will be
    another source)."""
    return session.execute(
        select(VerificationAttempt.conversation_id)
        .where(
            VerificationAttempt.order_number == order_number,
            VerificationAttempt.succeeded.is_(True),
        )
        .order_by(VerificationAttempt.created_at.desc(), VerificationAttempt.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_stopped(session, conversation_id: str) -> bool:
    return (
        session.execute(
            select(ChannelIdentity.notices_stopped_at).where(
                ChannelIdentity.conversation_id == conversation_id
            )
        ).scalar_one_or_none()
        is not None
    )


def _skip_reason(session, notice: OrderNotice, now: dt.datetime) -> Optional[str]:
    if notice.kind == "stage" and notice.stage not in TOLD_STAGES:
        return "stage_not_told"
    if notice.created_at and notice.created_at < now - dt.timedelta(
        days=notice_settings().waiting_days
    ):
        return "expired"
    if notice.kind in ("stage", "failed_attempt"):
        newer = session.execute(
            select(OrderNotice.id)
            .where(
                OrderNotice.order_id == notice.order_id,
                OrderNotice.kind.in_(("stage", "failed_attempt")),
                OrderNotice.id > notice.id,
                OrderNotice.state.in_(("pending", "waiting", "sent")),
            )
            .limit(1)
        ).scalar_one_or_none()
        if newer is not None:
            return "superseded"  # the parcel moved on: only its latest news is told
    return None


def plan(notice_id: int, now: Optional[dt.datetime] = None, url: Optional[str] = None) -> Plan:
    """Where a leased notice goes, or why it is not sent; the target is written on the row."""
    now = _now(now)
    with session_scope(url) as session:
        notice = session.get(OrderNotice, notice_id)
        order = session.get(Order, notice.order_id)
        event = notice.courier_event
        detail = ((event.message if event is not None else None) or "").strip()[:300]
        conversation = notice.conversation_id or proving_conversation(session, order.number)
        channel = channel_of(conversation) if conversation else None
        found = Plan(notice.id, notice.kind, notice.stage, order.number, conversation, channel)
        found.detail, found.attempts = detail, notice.attempts
        if conversation and notice.conversation_id is None:
            notice.conversation_id, notice.channel = conversation, channel
        reason = _skip_reason(session, notice, now)
        if reason is None and not conversation:
            reason = "no_conversation"
        elif reason is None and channel not in PUSH_CHANNELS:
            reason = "channel_cannot_push"
        elif reason is None and is_stopped(session, conversation):
            reason = "stopped"
        found.skip_reason = reason
        session.commit()
        return found


def finish(
    notice_id: int,
    state: str,
    reason: Optional[str] = None,
    due_at: Optional[dt.datetime] = None,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> None:
    """Release a leased notice as ``sent``, ``waiting`` (looked at again at ``due_at``),
    ``skipped`` or ``failed``. A delivered notice that was sent schedules its check."""
    now = _now(now)
    with session_scope(url) as session:
        notice = session.get(OrderNotice, notice_id)
        notice.state, notice.reason, notice.lease_until = state, reason, None
        if due_at is not None:
            notice.due_at = due_at
        if state == "sent":
            notice.sent_at = now
            if notice.kind == "stage" and notice.stage == "delivered":
                hours = notice_settings().delivered_check_hours
                session.add(
                    OrderNotice(
                        order_id=notice.order_id,
                        courier_event_id=notice.courier_event_id,
                        kind="delivered_check",
                        conversation_id=notice.conversation_id,
                        channel=notice.channel,
                        state="pending",
                        due_at=now + dt.timedelta(hours=hours),
                        created_at=now,
                    )
                )
        session.commit()


def set_stopped(
    conversation_id: str,
    stopped: bool,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> None:
    """STOP (``stopped``) or START order updates for one channel identity."""
    now = _now(now)
    with session_scope(url) as session:
        identity = session.execute(
            select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
        ).scalar_one_or_none()
        if identity is None:
            identity = ChannelIdentity(
                conversation_id=conversation_id,
                channel=channel_of(conversation_id) or "unknown",
                created_at=now,
            )
            session.add(identity)
        identity.notices_stopped_at = now if stopped else None
        identity.updated_at = now
        session.commit()
