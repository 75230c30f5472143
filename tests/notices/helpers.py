"""What couriers/ does when a courier reports a stage (the other half of issue 13), done
here directly: the order's courier stage moves and a pending notice is written, in one
transaction; and an order check that proved an order in a conversation."""

import datetime as dt
import itertools
import json
from typing import Optional

from sqlalchemy import select

from seba.db import local_now, session_scope
from seba.db.models import CourierEvent, Order, OrderNotice, VerificationAttempt

_keys = itertools.count(1)


def courier_update(url: str, order_number: str, stage: str, message: Optional[str] = None) -> int:
    """The courier says ``stage`` for this order: returns the new notice's id."""
    now = local_now()
    with session_scope(url) as session:
        order = session.execute(select(Order).where(Order.number == order_number)).scalar_one()
        event = CourierEvent(
            courier="redx",
            event_key=f"test-{next(_keys)}-{now.timestamp()}",
            tracking_code=order.tracking_code or "T-1",
            order_id=order.id,
            raw_status=stage,
            stage=stage,
            message=message,
            occurred_at=now,
            received_at=now,
            payload=json.dumps({"status": stage}),
            applied=True,
        )
        session.add(event)
        session.flush()
        order.courier_stage, order.courier_stage_at = stage, now
        kind = "failed_attempt" if stage == "failed_attempt" else "stage"
        notice = OrderNotice(
            order_id=order.id,
            courier_event_id=event.id,
            kind=kind,
            stage=stage if kind == "stage" else None,
            state="pending",
            created_at=now,
        )
        session.add(notice)
        session.flush()
        return notice.id


def proved(url: str, order_number: str, conversation_id: str, ago_minutes: float = 0) -> None:
    """A successful order check of ``order_number`` in ``conversation_id``."""
    with session_scope(url) as session:
        session.add(
            VerificationAttempt(
                created_at=local_now() - dt.timedelta(minutes=ago_minutes),
                order_number=order_number,
                phone_key="test",
                phone_masked="017•••••001",
                conversation_id=conversation_id,
                channel=conversation_id.split(":")[0],
                succeeded=True,
            )
        )


def notice(url: str, notice_id: int) -> OrderNotice:
    with session_scope(url) as session:
        row = session.get(OrderNotice, notice_id)
        session.expunge(row)
        return row


def notices(url: str, order_number: str):
    with session_scope(url) as session:
        rows = (
            session.execute(
                select(OrderNotice)
                .join(Order, Order.id == OrderNotice.order_id)
                .where(Order.number == order_number)
                .order_by(OrderNotice.id)
            )
            .scalars()
            .all()
        )
        for row in rows:
            session.expunge(row)
        return rows
