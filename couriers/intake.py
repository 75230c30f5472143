"""Courier updates into the shop database: stored, linked, applied, announced — one transaction.

For each update of a verified call (``record``):

1. **stored** as a ``courier_events`` row, once per courier and event key: a redelivered
   event is found and changes nothing (a race between two Rasa workers ends in the unique
   constraint: the loser answers 503 and the courier's retry is a duplicate);
2. **linked** to the order with that tracking code *of that courier* (``orders.courier``):
   an unknown tracking number is kept with ``order_id`` NULL and logged for the shop;
3. **applied** to the order (``courier_stage``/``courier_stage_at`` and ``status``, see
   ``STATUS_OF_STAGE``) unless it is older than the order's ``courier_stage_at`` (it
   arrived out of order: stored, not applied) or its status means nothing to the order;
4. **announced**: an applied stage the customer cares about (``CUSTOMER_STAGES``) that is new
   for the order — or any failed attempt, each one is news — writes an ``order_notices``
   row (state ``pending``) for the notifier to deliver.

All of it commits together before the webhook answers 2xx; if the database cannot take it
nothing is written and the courier gets a 503 (and may retry).
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import List, Optional

from sqlalchemy import select

from channels.intake import IntakeUnavailable
from couriers.base import Courier, Update
from seba.db import local_now, session_scope
from seba.db.models import CourierEvent, Order, OrderNotice

logger = logging.getLogger(__name__)

#: Stages the customer hears about (the notifier words them; issue 13).
CUSTOMER_STAGES = ("picked_up", "out_for_delivery", "delivered", "failed_attempt", "returned")

#: What a stage makes of orders.status; a failed attempt leaves the status as it was.
STATUS_OF_STAGE = {
    "picked_up": "shipped",
    "in_transit": "shipped",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "returned": "returned",
}


@dataclass
class Outcome:
    stored: int = 0  # new courier_events rows
    duplicates: int = 0  # updates stored before (same courier + event key)
    applied: int = 0  # moved an order
    notices: int = 0  # order_notices written
    unknown: List[str] = field(default_factory=list)  # tracking codes that match no order


def record(courier: Courier, updates: List[Update], payload: str, url: Optional[str] = None):
    """Store and apply ``updates`` of one verified call (``payload``: its body as JSON text).
    Database errors surface as ``seba.db.ShopUnavailable`` with nothing written."""
    outcome = Outcome()
    with session_scope(url) as session:
        now = local_now()
        for update in updates:
            known = session.execute(
                select(CourierEvent.id).where(
                    CourierEvent.courier == courier.name,
                    CourierEvent.event_key == update.event_key,
                )
            ).first()
            if known is not None:
                outcome.duplicates += 1
                continue
            order = (
                session.execute(
                    select(Order)
                    .where(
                        Order.tracking_code == update.tracking_code,
                        Order.courier == courier.label,
                    )
                    .with_for_update()  # PostgreSQL: one event per order at a time
                )
                .scalars()
                .first()
            )
            stage = courier.stage(update.raw_status)
            event = CourierEvent(
                courier=courier.name,
                event_key=update.event_key,
                tracking_code=update.tracking_code,
                order_id=order.id if order is not None else None,
                raw_status=update.raw_status,
                stage=stage,
                message=update.message,
                occurred_at=update.occurred_at,
                received_at=now,
                payload=payload,
                applied=False,
            )
            session.add(event)
            session.flush()  # the event's id, for its notice
            outcome.stored += 1
            if order is None:
                outcome.unknown.append(update.tracking_code)
                logger.warning(
                    "%s: tracking number %s matches no %s order; stored (courier event %s).",
                    courier.label,
                    update.tracking_code,
                    courier.label,
                    event.id,
                )
                continue
            if stage is not None and _apply(session, order, event, update, stage, now, outcome):
                outcome.applied += 1
    return outcome


def _apply(session, order: Order, event: CourierEvent, update: Update, stage: str, now, outcome):
    moment = update.occurred_at or now
    if order.courier_stage_at is not None and moment < order.courier_stage_at:
        logger.info(
            "%s: %s of order %s (%s) is older than its last update (%s, %s): stored, not applied.",
            event.courier,
            stage,
            order.number,
            moment,
            order.courier_stage,
            order.courier_stage_at,
        )
        return False
    previous = order.courier_stage
    order.courier_stage, order.courier_stage_at = stage, moment
    status = STATUS_OF_STAGE.get(stage)
    if status is not None:
        order.status = status
    if status == "shipped" and order.shipped_at is None:
        order.shipped_at = moment
    if stage == "delivered" and order.delivered_at is None:
        order.delivered_at = moment
    event.applied = True
    if stage in CUSTOMER_STAGES and (stage != previous or stage == "failed_attempt"):
        session.add(
            OrderNotice(
                order_id=order.id,
                courier_event_id=event.id,
                kind="failed_attempt" if stage == "failed_attempt" else "stage",
                stage=stage,
                state="pending",
                attempts=0,
                created_at=now,
            )
        )
        outcome.notices += 1
    return True


async def store(
    courier: Courier, updates: List[Update], payload: str, url: Optional[str] = None
) -> Outcome:
    """``record`` off the event loop; IntakeUnavailable when the database cannot take it."""
    try:
        return await asyncio.to_thread(record, courier, updates, payload, url)
    except Exception as error:  # noqa: BLE001 - any database failure: the courier retries
        raise IntakeUnavailable(str(error)) from error
