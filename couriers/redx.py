"""RedX: ``POST /webhooks/redx/webhook?token=<REDX_WEBHOOK_TOKEN>``.

Followed: the webhook of RedX's open API (openapi.redx.com.bd) as merchants' integrations
implement it — RedX's own page was not at hand, so read this as our understanding, to check
against the panel before going live (docs/couriers.md). RedX POSTs JSON to the callback URL
the merchant registers, for example ``{"tracking_number": "21A427TU4BN3R", "timestamp":
"2021-05-18T10:37:25.787Z", "status": "delivered", "message_en": "…", "message_bn": "…",
"invoice_number": "…"}``, with status one of ready-for-delivery, delivery-in-progress,
delivered, agent-hold, agent-returning, returned, agent-area-change (the parcel API adds
pickup-pending, pickup-processing and cancelled).

Where the docs are silent, our choice: RedX signs nothing and lets the merchant give only a
URL, so the token travels in it: register ``https://<host>/webhooks/redx/webhook?token=<the
token>`` (compared in constant time; ``Authorization: Bearer <token>`` is accepted too, should
RedX send one). The proxy must not log that URL's query (deploy/nginx/seba-public.conf turns
its access log off). ``tracking_id`` is read where ``tracking_number`` is missing. No event
id: the key is a digest of tracking number, status and timestamp (the whole body if there is
no timestamp). ``ready-for-delivery`` (at RedX's hub) is the customer's "picked up";
``agent-hold`` (the rider could not deliver) a failed attempt; ``agent-returning`` already
returned. The note kept is ``message_bn`` (``message_en`` if it is missing). The answer is
200 ``{"success": true}``; refusals 401/400 ``{"success": false, "message": …}``.
"""

from typing import Any, Dict, List

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from couriers.base import (
    Courier,
    Update,
    bearer,
    canonical,
    courier_time,
    digest_key,
    note,
    required,
    same_secret,
    text_field,
)
from couriers.webhook import CourierWebhook


class RedX(Courier):
    name = "redx"
    label = "RedX"
    secret_name = "REDX_WEBHOOK_TOKEN"
    STAGES = {
        "pickup-pending": None,
        "pickup-processing": None,
        "ready-for-delivery": "picked_up",
        "agent-area-change": "in_transit",
        "delivery-in-progress": "out_for_delivery",
        "delivered": "delivered",
        "agent-hold": "failed_attempt",
        "agent-returning": "returned",
        "returned": "returned",
        "cancelled": None,  # before pickup: the shop's business
    }

    def verify(self, request: Request, secret: str) -> bool:
        return same_secret(request.args.get("token"), secret) or same_secret(
            bearer(request), secret
        )

    def parse(self, body: Dict[str, Any]) -> List[Update]:
        code = required(body, "tracking_number", "tracking_id")
        status = required(body, "status", limit=80)
        when = text_field(body, "timestamp", limit=40)
        key = digest_key(code, status, when or canonical(body))
        message = note(body, "message_bn", "message_en")
        return [Update(key, code, status, courier_time(body.get("timestamp")), message)]

    def accepted(self) -> HTTPResponse:
        return response.json({"success": True})

    def refused(self, status: int, reason: str) -> HTTPResponse:
        return response.json({"success": False, "message": reason}, status=status)


class RedXWebhook(CourierWebhook):
    """credentials.yml: ``couriers.redx.RedXWebhook:`` (REDX_WEBHOOK_TOKEN)."""

    courier = RedX()
