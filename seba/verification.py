"""Order checks that cannot be sprayed: every attempt is recorded in the shop database.

An order is shown or changed only for someone who gave its number and the phone on it.
``check`` decides one attempt, in one transaction that first takes the order's guard row
(``SELECT … FOR UPDATE`` on PostgreSQL; the first write takes SQLite's write lock), so
racing attempts on one order from many sessions or processes are counted one by one:

1. a **locked** order reveals nothing, not even to the right phone, until an agent lifts
   the lock (``lift``) or it expires (``lock_hours``);
2. a phone number that failed ``max_failures_per_phone`` times in the window (one phone
   tried against many orders) is refused the same way;
3. a conversation that failed ``max_failures_per_conversation`` times is **exhausted**
   (the rules hand it to a person); its attempts are **slowed down** in between: after the
   n-th failure the next attempt must wait ``slow_down_seconds × 2^(n-1)``;
4. otherwise the pair is checked and recorded; the failure that makes
   ``max_failures_per_order`` in the window **locks** the order.

Counts are over a sliding window (``window_minutes``) and live in the database, so a new
session, a new conversation, another channel or a restart of any process changes nothing.
Lifting a lock starts the order's count afresh. Phones are stored as a keyed hash (for
counting) and masked (for agents). Settings: shop.yml ``verification``.
"""

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from seba import secrets
from seba.db import local_now, session_scope
from seba.db.models import Order, VerificationAttempt, VerificationGuard, VerificationLock
from seba.settings import VerificationPolicy, load_settings
from seba.text import mask_phone, normalize_order_number, normalize_phone

VERIFIED, MISMATCH, WAIT, EXHAUSTED, LOCKED = "verified", "mismatch", "wait", "exhausted", "locked"
#: Not an order number or not a phone at all: nothing checked, nothing counted (a malformed
#: number is not a guess at a real order; the caller asks again).
MALFORMED = "malformed"
#: Attempts older than this are deleted as new ones come in.
KEEP_ATTEMPTS = dt.timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    status: str  # one of VERIFIED, MISMATCH, WAIT, EXHAUSTED, LOCKED, MALFORMED
    order_number: Optional[str] = None  # the normalised number (VERIFIED only)
    phone: Optional[str] = None  # the normalised phone (VERIFIED only)
    conversation_failures: int = 0  # failures of this conversation in the window
    wait_seconds: int = 0  # WAIT: how long until the next attempt is checked


@dataclass(frozen=True)
class LockView:
    order_number: str
    locked_at: dt.datetime
    expires_at: dt.datetime
    failures: int
    conversation_id: Optional[str]
    lifted_at: Optional[dt.datetime]
    lifted_by: Optional[str]

    @classmethod
    def of(cls, row: VerificationLock) -> "LockView":
        return cls(
            row.order_number,
            row.locked_at,
            row.expires_at,
            row.failures,
            row.conversation_id,
            row.lifted_at,
            row.lifted_by,
        )


def policy() -> VerificationPolicy:
    return load_settings().verification


def phone_key(phone: str) -> str:
    """A keyed hash of a normalised phone: countable, not reversible without the key."""
    return hmac.new(
        secrets.derived_key("phone"), phone.encode("ascii"), hashlib.sha256
    ).hexdigest()[:32]


def _active_lock(session: Session, number: str, now: dt.datetime) -> Optional[VerificationLock]:
    return session.execute(
        select(VerificationLock)
        .where(
            VerificationLock.order_number == number,
            VerificationLock.lifted_at.is_(None),
            VerificationLock.expires_at > now,
        )
        .order_by(VerificationLock.expires_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_locked(session: Session, order_number: str, now: Optional[dt.datetime] = None) -> bool:
    number = normalize_order_number(str(order_number or "")) or str(order_number or "")
    return _active_lock(session, number, now or local_now()) is not None


def _failures(session: Session, since: dt.datetime, *conditions) -> List[dt.datetime]:
    return list(
        session.execute(
            select(VerificationAttempt.created_at)
            .where(
                VerificationAttempt.succeeded.is_(False),
                VerificationAttempt.created_at > since,
                *conditions,
            )
            .order_by(VerificationAttempt.created_at)
        ).scalars()
    )


def _order_count_since(session: Session, number: str, window_start: dt.datetime) -> dt.datetime:
    """The order's failures count from the window start, or from its last lifted lock."""
    lifted = session.execute(
        select(func.max(VerificationLock.lifted_at)).where(VerificationLock.order_number == number)
    ).scalar()
    return max(window_start, lifted) if lifted else window_start


def _take_guard(session: Session, number: str) -> None:
    """Serialise checks of one order (see the module docstring)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(VerificationGuard).values(order_number=number).on_conflict_do_nothing())
    session.execute(
        select(VerificationGuard).where(VerificationGuard.order_number == number).with_for_update()
    )


def check(
    order_number: str,
    phone: str,
    conversation_id: str,
    channel: Optional[str] = None,
    *,
    now: Optional[dt.datetime] = None,
    rules: Optional[VerificationPolicy] = None,
    url: Optional[str] = None,
) -> Outcome:
    """Decide one attempt to verify ``order_number`` with ``phone`` (raw customer text)."""
    rules = rules or policy()
    now = now or local_now()
    number = normalize_order_number(str(order_number or ""))
    phone_number = normalize_phone(str(phone or ""))
    if not number or not phone_number:
        return Outcome(MALFORMED)
    window_start = now - dt.timedelta(minutes=rules.window_minutes)
    key = phone_key(phone_number)
    with session_scope(url) as session:
        _take_guard(session, number)
        mine = _failures(
            session, window_start, VerificationAttempt.conversation_id == conversation_id
        )
        if (
            _active_lock(session, number, now) is not None
            or len(_failures(session, window_start, VerificationAttempt.phone_key == key))
            >= rules.max_failures_per_phone
        ):
            return Outcome(LOCKED, conversation_failures=len(mine))
        if len(mine) >= rules.max_failures_per_conversation:
            return Outcome(EXHAUSTED, conversation_failures=len(mine))
        if mine:
            ready_at = mine[-1] + dt.timedelta(
                seconds=rules.slow_down_seconds * 2 ** (len(mine) - 1)
            )
            if ready_at > now:
                wait = int((ready_at - now).total_seconds() + 0.999)
                return Outcome(WAIT, conversation_failures=len(mine), wait_seconds=max(wait, 1))

        matched = (
            session.execute(
                select(Order.id).where(Order.number == number, Order.phone == phone_number)
            ).first()
            is not None
        )
        session.execute(
            delete(VerificationAttempt).where(
                VerificationAttempt.order_number == number,
                VerificationAttempt.created_at < now - KEEP_ATTEMPTS,
            )
        )
        session.add(
            VerificationAttempt(
                created_at=now,
                order_number=number,
                phone_key=key,
                phone_masked=mask_phone(phone_number),
                conversation_id=conversation_id,
                channel=channel,
                succeeded=matched,
            )
        )
        if matched:
            return Outcome(VERIFIED, number, phone_number, len(mine))
        session.flush()
        order_failures = _failures(
            session,
            _order_count_since(session, number, window_start),
            VerificationAttempt.order_number == number,
        )
        if len(order_failures) >= rules.max_failures_per_order:
            session.add(
                VerificationLock(
                    order_number=number,
                    locked_at=now,
                    expires_at=now + dt.timedelta(hours=rules.lock_hours),
                    failures=len(order_failures),
                    conversation_id=conversation_id,
                )
            )
            return Outcome(LOCKED, conversation_failures=len(mine) + 1)
        return Outcome(MISMATCH, conversation_failures=len(mine) + 1)


def still_verified(
    order_number: Optional[str],
    verified_at: Optional[float],
    *,
    now: Optional[float] = None,
    rules: Optional[VerificationPolicy] = None,
) -> bool:
    """A verification lasts ``idle_minutes`` after it was last used (``verified_at``, epoch s)."""
    import time

    if not order_number or not verified_at:
        return False
    rules = rules or policy()
    try:
        age = (now if now is not None else time.time()) - float(verified_at)
    except (TypeError, ValueError):
        return False
    return 0 <= age <= rules.idle_minutes * 60


# --- for the agent console ------------------------------------------------------------------


def active_locks(*, now: Optional[dt.datetime] = None, url: Optional[str] = None) -> List[LockView]:
    """Orders locked for self-service right now, newest first."""
    now = now or local_now()
    with session_scope(url) as session:
        rows = (
            session.execute(
                select(VerificationLock)
                .where(VerificationLock.lifted_at.is_(None), VerificationLock.expires_at > now)
                .order_by(VerificationLock.locked_at.desc())
            )
            .scalars()
            .all()
        )
        return [LockView.of(r) for r in rows]


def locks_for_conversation(
    conversation_id: str, *, now: Optional[dt.datetime] = None, url: Optional[str] = None
) -> List[LockView]:
    """Active locks of the orders this conversation tried to verify."""
    now = now or local_now()
    with session_scope(url) as session:
        tried = select(VerificationAttempt.order_number).where(
            VerificationAttempt.conversation_id == conversation_id
        )
        rows = (
            session.execute(
                select(VerificationLock)
                .where(
                    VerificationLock.order_number.in_(tried),
                    VerificationLock.lifted_at.is_(None),
                    VerificationLock.expires_at > now,
                )
                .order_by(VerificationLock.locked_at.desc())
            )
            .scalars()
            .all()
        )
        return [LockView.of(r) for r in rows]


def lift(
    order_number: str,
    lifted_by: str,
    *,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> bool:
    """Lift the order's active lock(s); its failure count starts afresh. False if none."""
    now = now or local_now()
    number = normalize_order_number(str(order_number or "")) or str(order_number or "")
    with session_scope(url) as session:
        result = session.execute(
            update(VerificationLock)
            .where(
                VerificationLock.order_number == number,
                VerificationLock.lifted_at.is_(None),
                VerificationLock.expires_at > now,
            )
            .values(lifted_at=now, lifted_by=(lifted_by or "agent")[:120])
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)
