"""Returning customers: a channel identity linked to the shop's customer, and forgetting it.

A **link** (``channel_identities``: conversation id → customer) is written after a
successful order check (number + phone, ``seba.verification.check``) and lets the bot list
that customer's orders later without asking for an order number. How long it counts
depends on what proved the conversation id:

* **Telegram** (``tg:<chat>``) and **Messenger** (``fb:<psid>``): the platform proves the
  id on every message (secret token / signature), so the link lasts until the customer
  asks to be forgotten (or checks another customer's order: see ``link``);
* **everything else** (the web bubble ``web:<id>``, the shop's app ``rest:<sender>``): the
  id is only a token the visitor holds (a shared computer keeps it in localStorage), so
  the link counts only within the Rasa session it was made in. A later session is never
  recognised, and its stale row is removed when it is read.

**Forgetting** removes the identity's row (link and STOP flag) and the record of which
orders this conversation proved (successful checks); pending order notices to it are
skipped. What stays: the orders, returns and refunds (the shop's records), the failed
checks (they count against guessing; a keyed hash and a masked phone, deleted after 30
days), the transcript (the shop's record of the conversation) and agents' private notes.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import delete, select, update

from seba.db import local_now, session_scope, shop_timezone
from seba.db.models import ChannelIdentity, Order, OrderNotice, VerificationAttempt
from seba.text import normalize_order_number

logger = logging.getLogger(__name__)

#: Conversation-id prefixes whose ids the platform proves (channels.PREFIXES).
PROVEN = {"tg": "telegram", "fb": "facebook"}
SESSION_ONLY = {"web": "socketio", "rest": "rest"}
#: How many recent orders the bot lists.
RECENT_ORDERS = 5
#: Orders still on their way: one of them alone is answered without asking which.
ACTIVE_STATUSES = ("placed", "confirmed", "packed", "shipped", "out_for_delivery")


@dataclass(frozen=True)
class OrderSummary:
    number: str
    placed_at: dt.datetime
    status: str
    total: int


@dataclass(frozen=True)
class Linked:
    """The outcome of ``link``: the customer now linked, and the one it replaced (if any)."""

    customer_id: int
    replaced_customer_id: Optional[int] = None


def prefix_of(conversation_id: str) -> str:
    head, sep, _ = (conversation_id or "").partition(":")
    return head if sep else ""


def channel_of(conversation_id: str) -> str:
    prefix = prefix_of(conversation_id)
    return PROVEN.get(prefix) or SESSION_ONLY.get(prefix) or prefix or "unknown"


def platform_proven(conversation_id: str) -> bool:
    return prefix_of(conversation_id) in PROVEN


def from_epoch(timestamp: Optional[float]) -> Optional[dt.datetime]:
    """A Rasa event time as naive shop-local time (how the shop database stores times)."""
    if timestamp is None:
        return None
    try:
        moment = dt.datetime.fromtimestamp(float(timestamp), shop_timezone())
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=None)


def link(
    conversation_id: str,
    order_number: str,
    *,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> Optional[Linked]:
    """Link the conversation to the customer of ``order_number`` (just verified with its
    phone). A conversation linked to another customer is re-linked to this one — the latest
    proof wins — and the caller tells the customer (``Linked.replaced_customer_id``)."""
    now = now or local_now()
    number = normalize_order_number(str(order_number or "")) or str(order_number or "")
    with session_scope(url) as session:
        customer_id = session.execute(
            select(Order.customer_id).where(Order.number == number)
        ).scalar_one_or_none()
        if customer_id is None:
            return None
        row = session.execute(
            select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
        ).scalar_one_or_none()
        if row is None:
            row = ChannelIdentity(
                conversation_id=conversation_id, channel=channel_of(conversation_id)
            )
            session.add(row)
        replaced = row.customer_id if row.customer_id not in (None, customer_id) else None
        row.customer_id, row.linked_at, row.linked_order_number = customer_id, now, number
        if replaced is not None:
            logger.info(
                "conversation %s re-linked from customer %s to %s",
                conversation_id,
                replaced,
                customer_id,
            )
        return Linked(customer_id, replaced)


def linked_customer(
    conversation_id: str,
    session_started_at: Optional[dt.datetime] = None,
    *,
    url: Optional[str] = None,
) -> Optional[int]:
    """The customer this conversation is recognised as, or None.

    ``session_started_at``: when the current Rasa session began (shop-local). Ids the
    platform does not prove count only for a link made in the current session; without a
    session start they are not recognised at all."""
    with session_scope(url) as session:
        row = session.execute(
            select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
        ).scalar_one_or_none()
        if row is None or row.customer_id is None or row.linked_at is None:
            return None
        if platform_proven(conversation_id):
            return row.customer_id
        if session_started_at is not None and row.linked_at >= session_started_at:
            return row.customer_id
        # A link from an earlier session of a web (or REST) conversation: it died with it.
        session.delete(row)
        return None


def recent_orders(
    customer_id: int, limit: int = RECENT_ORDERS, *, url: Optional[str] = None
) -> List[OrderSummary]:
    """The customer's latest orders, newest first."""
    with session_scope(url) as session:
        rows = session.execute(
            select(Order.number, Order.placed_at, Order.status, Order.total)
            .where(Order.customer_id == customer_id)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(limit)
        ).all()
        return [OrderSummary(*row) for row in rows]


def single_active_order(customer_id: int, *, url: Optional[str] = None) -> Optional[str]:
    """The number of the customer's only order still on its way, if exactly one is."""
    with session_scope(url) as session:
        numbers = (
            session.execute(
                select(Order.number)
                .where(Order.customer_id == customer_id, Order.status.in_(ACTIVE_STATUSES))
                .limit(2)
            )
            .scalars()
            .all()
        )
        return numbers[0] if len(numbers) == 1 else None


def owned_order_phone(
    customer_id: int, order_number: str, *, url: Optional[str] = None
) -> Optional[str]:
    """The phone on ``order_number`` if the order is this customer's, else None (the answer
    is the same for another customer's order and for no order at all)."""
    number = normalize_order_number(str(order_number or ""))
    if not number:
        return None
    with session_scope(url) as session:
        return session.execute(
            select(Order.phone).where(Order.number == number, Order.customer_id == customer_id)
        ).scalar_one_or_none()


def forget(conversation_id: str, *, url: Optional[str] = None) -> bool:
    """Forget this conversation's identity (see the module docstring for what stays).
    True if it was linked to a customer."""
    with session_scope(url) as session:
        linked = session.execute(
            select(ChannelIdentity.customer_id).where(
                ChannelIdentity.conversation_id == conversation_id
            )
        ).scalar_one_or_none()
        session.execute(
            delete(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
        )
        session.execute(
            delete(VerificationAttempt).where(
                VerificationAttempt.conversation_id == conversation_id,
                VerificationAttempt.succeeded.is_(True),
            )
        )
        session.execute(
            update(OrderNotice)
            .where(
                OrderNotice.conversation_id == conversation_id,
                OrderNotice.state.in_(("pending", "waiting")),
            )
            .values(state="skipped", reason="forgotten")
            .execution_options(synchronize_session=False)
        )
        return linked is not None


# --- for the agent console's customer panel --------------------------------------------------


@dataclass(frozen=True)
class CourierUpdate:
    at: dt.datetime  # the courier's time, else when it reached us
    courier: str
    raw_status: str
    stage: Optional[str]
    message: Optional[str]


@dataclass(frozen=True)
class PanelOrder:
    number: str
    placed_at: dt.datetime
    status: str
    total: int
    courier: Optional[str]
    tracking_code: Optional[str]
    updates: List[CourierUpdate]  # newest first


@dataclass(frozen=True)
class CustomerPanel:
    customer_id: int
    name: str
    phone: str  # the customer's phone, for seba.text.mask_phone: never shown unmasked
    linked_at: dt.datetime
    linked_order_number: Optional[str]
    session_only: bool  # a web/REST link: it counts in the session it was made in only
    orders: List[PanelOrder]
    other_conversations: List[str]  # other conversation ids linked to the customer


def panel(
    conversation_id: str, limit: int = RECENT_ORDERS, *, url: Optional[str] = None
) -> Optional[CustomerPanel]:
    """What the console shows beside a conversation linked to a customer (None: not linked)."""
    from seba.db.models import CourierEvent, Customer

    with session_scope(url) as session:
        row = session.execute(
            select(ChannelIdentity).where(ChannelIdentity.conversation_id == conversation_id)
        ).scalar_one_or_none()
        if row is None or row.customer_id is None or row.linked_at is None:
            return None
        customer = session.get(Customer, row.customer_id)
        if customer is None:
            return None
        orders = (
            session.execute(
                select(Order)
                .where(Order.customer_id == customer.id)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(limit)
            )
            .scalars()
            .all()
        )
        events = (
            session.execute(
                select(CourierEvent)
                .where(CourierEvent.order_id.in_([o.id for o in orders]))
                .order_by(CourierEvent.id.desc())
            )
            .scalars()
            .all()
            if orders
            else []
        )
        updates = {}
        for event in events:
            updates.setdefault(event.order_id, []).append(
                CourierUpdate(
                    event.occurred_at or event.received_at,
                    event.courier,
                    event.raw_status,
                    event.stage,
                    event.message,
                )
            )
        others = (
            session.execute(
                select(ChannelIdentity.conversation_id)
                .where(
                    ChannelIdentity.customer_id == customer.id,
                    ChannelIdentity.conversation_id != conversation_id,
                )
                .order_by(ChannelIdentity.linked_at.desc())
            )
            .scalars()
            .all()
        )
        return CustomerPanel(
            customer_id=customer.id,
            name=customer.name,
            phone=customer.phone,
            linked_at=row.linked_at,
            linked_order_number=row.linked_order_number,
            session_only=not platform_proven(conversation_id),
            orders=[
                PanelOrder(
                    o.number,
                    o.placed_at,
                    o.status,
                    o.total,
                    o.courier,
                    o.tracking_code,
                    sorted(updates.get(o.id, []), key=lambda u: u.at, reverse=True),
                )
                for o in orders
            ],
            other_conversations=list(others),
        )
