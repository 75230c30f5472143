"""Steadfast Courier (packzy): ``POST /webhooks/steadfast/webhook``.

Followed: Steadfast's merchant panel, *API → Webhook Integration* and its "Webhook Response
Documentation" (read as copied from the panel into public repositories' docs, e.g. beside
the Laravel package kejubayer/steadfast-api-integration):

* the merchant enters a *Callback Url* and an *Auth Token (Bearer)*; every call carries
  ``Authorization: Bearer <that token>``, compared in constant time; anything else → 401;
* JSON bodies by ``notification_type``:
  ``delivery_status`` — ``{"notification_type": "delivery_status", "consignment_id": 12345,
  "invoice": "INV-67890", "cod_amount": 1500.00, "status": "Delivered", "delivery_charge":
  100.00, "tracking_message": "…", "updated_at": "2025-03-02 12:45:30"}``, status one of
  pending, delivered, partial_delivered, cancelled, unknown (the status API adds hold,
  in_review and the ``*_approval_pending`` forms); ``tracking_update`` — the same without
  status, with a ``tracking_message``;
* the answer: **200** ``{"status": "success", "message": "Webhook received successfully."}``;
  errors ``{"status": "error", "message": "…"}``.

Where the docs are silent, our choice: the tracking code is ``tracking_code`` when the body
has one, else ``consignment_id`` (record whichever the shop's panel shows as the order's
tracking code); a ``tracking_update`` (free text, no status) is stored for the shop with
``raw_status`` "tracking_update" and tells the customer nothing; other notification types
(``return_status`` is seen in the wild) are stored the same way. ``hold`` means the parcel did
not reach the customer this time → failed attempt; a cancelled consignment goes back to the
shop → returned. No event id is sent: the key is a digest of consignment, type, status,
``updated_at`` (Dhaka time) and message. An unknown consignment is answered 200 like any
stored call (it is kept, and a retry would not change it).
"""

from typing import Any, Dict, List

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from couriers.base import (
    Courier,
    Update,
    bearer,
    courier_time,
    digest_key,
    note,
    required,
    same_secret,
    text_field,
)
from couriers.webhook import CourierWebhook


class Steadfast(Courier):
    name = "steadfast"
    label = "Steadfast"
    secret_name = "STEADFAST_WEBHOOK_TOKEN"
    STAGES = {
        "pending": None,
        "in_review": None,
        "unknown": None,
        "unknown_approval_pending": None,
        "hold": "failed_attempt",
        "delivered": "delivered",
        "delivered_approval_pending": "delivered",
        "partial_delivered": "delivered",  # the customer kept some of it
        "partial_delivered_approval_pending": "delivered",
        "cancelled": "returned",
        "cancelled_approval_pending": "returned",
        "tracking_update": None,
    }

    def verify(self, request: Request, secret: str) -> bool:
        return same_secret(bearer(request), secret)

    def parse(self, body: Dict[str, Any]) -> List[Update]:
        kind = required(body, "notification_type", limit=40)
        code = required(body, "tracking_code", "consignment_id")
        status = required(body, "status", limit=80) if kind == "delivery_status" else kind
        when = text_field(body, "updated_at", limit=40)
        message = note(body, "tracking_message")
        key = digest_key(code, kind, status, when, message)
        return [Update(key, code, status, courier_time(when), message)]

    def accepted(self) -> HTTPResponse:
        return response.json({"status": "success", "message": "Webhook received successfully."})

    def refused(self, status: int, reason: str) -> HTTPResponse:
        return response.json({"status": "error", "message": reason}, status=status)


class SteadfastWebhook(CourierWebhook):
    """credentials.yml: ``couriers.steadfast.SteadfastWebhook:`` (STEADFAST_WEBHOOK_TOKEN)."""

    courier = Steadfast()
