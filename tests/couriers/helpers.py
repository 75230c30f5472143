"""Builders for the couriers' calls as each documents them, and a look into the shop database."""

import datetime as dt
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select

from seba.db import local_now, session_scope
from seba.db.models import CourierEvent, Order, OrderNotice

SECRETS = {
    "pathao": "pathao-webhook-secret-0123456789",
    "steadfast": "steadfast-token-0123456789abcdef",
    "redx": "redx-token-0123456789abcdef",
}

Call = Tuple[str, Dict[str, Any], Dict[str, str]]  # (path after /webhook, body, headers)


def ago(minutes: float) -> dt.datetime:
    return (local_now() - dt.timedelta(minutes=minutes)).replace(microsecond=0)


def utc_iso(local: dt.datetime) -> str:
    """A shop-local (Dhaka, UTC+6) time as the UTC ISO text Pathao and RedX send."""
    return (local - dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def pathao_call(code: str, event: str, at: dt.datetime, secret: Optional[str] = None, **extra):
    body = {
        "consignment_id": code,
        "merchant_order_id": "TS-123",
        "updated_at": at.strftime("%Y-%m-%d %H:%M:%S"),
        "timestamp": utc_iso(at),
        "store_id": 130820,
        "event": event,
        **extra,
    }
    return "", body, {"X-PATHAO-Signature": secret or SECRETS["pathao"]}


def steadfast_call(
    code: str, status: Optional[str], at: dt.datetime, secret: Optional[str] = None, **extra
):
    body: Dict[str, Any] = {
        "notification_type": "delivery_status" if status else "tracking_update",
        "consignment_id": 12345,
        "tracking_code": code,
        "invoice": "INV-67890",
        "tracking_message": "Package arrived at the sorting center.",
        "updated_at": at.strftime("%Y-%m-%d %H:%M:%S"),
        **extra,
    }
    if status:
        body.update(status=status, cod_amount=1500.0, delivery_charge=100.0)
    return "", body, {"Authorization": f"Bearer {secret or SECRETS['steadfast']}"}


def redx_call(code: str, status: str, at: dt.datetime, secret: Optional[str] = None, **extra):
    body = {
        "tracking_number": code,
        "timestamp": utc_iso(at).replace("+00:00", ".000Z"),
        "status": status,
        "message_en": "Your parcel is on its way",
        "message_bn": "আপনার পার্সেলটি ডেলিভারির পথে আছে",
        "invoice_number": "10458",
        **extra,
    }
    return f"?token={secret or SECRETS['redx']}", body, {}


CALLS = {"pathao": pathao_call, "steadfast": steadfast_call, "redx": redx_call}
LABELS = {"pathao": "Pathao", "steadfast": "Steadfast", "redx": "RedX"}
#: One raw status per stage, per courier (for the tests that walk a parcel's life).
WORDS = {
    "pathao": {
        "picked_up": "order.picked",
        "in_transit": "order.in-transit",
        "out_for_delivery": "order.assigned-for-delivery",
        "delivered": "order.delivered",
        "failed_attempt": "order.delivery-failed",
        "returned": "order.returned",
        None: "order.updated",
    },
    "steadfast": {
        "delivered": "delivered",
        "failed_attempt": "hold",
        "returned": "cancelled",
        None: "pending",
    },
    "redx": {
        "picked_up": "ready-for-delivery",
        "in_transit": "agent-area-change",
        "out_for_delivery": "delivery-in-progress",
        "delivered": "delivered",
        "failed_attempt": "agent-hold",
        "returned": "returned",
        None: "pickup-pending",
    },
}


def parcel(url: str, courier: str, code: str) -> str:
    """An order of ``courier`` on its way with tracking ``code`` (its number is returned)."""
    with session_scope(url) as session:
        order = (
            session.execute(
                select(Order).where(Order.courier == LABELS[courier]).order_by(Order.id)
            )
            .scalars()
            .first()
        )
        order.tracking_code, order.status = code, "shipped"
        order.courier_stage = order.courier_stage_at = None
        order.delivered_at = None
        return order.number


def order(url: str, number: str) -> Order:
    with session_scope(url) as session:
        return session.execute(select(Order).where(Order.number == number)).scalar_one()


def events(url: str) -> List[CourierEvent]:
    with session_scope(url) as session:
        return list(session.execute(select(CourierEvent).order_by(CourierEvent.id)).scalars())


def notices(url: str) -> List[OrderNotice]:
    with session_scope(url) as session:
        return list(session.execute(select(OrderNotice).order_by(OrderNotice.id)).scalars())
