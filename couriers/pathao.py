"""Pathao Courier: ``POST /webhooks/pathao/webhook``.

Followed: Pathao's merchant panel, *Developer API → Webhook Integration* (its text and
sample payloads, as copied in AB498/e-shop ``pathao_webhook_api_docs.md``) and Pathao's own
WooCommerce plugin (github.com/pathao-eng/courier-woocommerce-plugin, ``plugin-api.php``,
``register_custom_endpoint`` / ``ptc_webhook_handler`` / ``webhookResponse``):

* the merchant enters a *Callback URL* and a *Webhook secret*; every call carries that
  secret in ``X-PATHAO-Signature`` — the plugin compares it as it is (no HMAC), so do we, in
  constant time; a call without it, or with another, is refused (401, as WordPress answers
  a failed ``permission_callback``);
* every accepted call — the set-up test ``{"event": "webhook_integration"}`` included —
  is answered **202** with the header ``X-Pathao-Merchant-Webhook-Integration-Secret:
  f3992ecc-59da-4cbe-a049-a13da2018d51`` (a fixed value Pathao publishes: it proves the URL
  is a Pathao receiver, not a secret of the shop's);
* a status call: ``{"consignment_id": "DL121224VS8TTJ", "merchant_order_id": "TS-123",
  "event": "order.delivered", "updated_at": "2024-12-27 23:53:23", "timestamp":
  "2024-12-27T17:53:23+00:00", "store_id": 130820, …, "reason": "…"}``. The plugin also reads
  ``order_status`` (its own names, ``Delivered``, ``Delivery_Failed`` …): both are mapped.

Where the docs are silent, our choice: ``consignment_id`` is the tracking code (orders are
linked by it, not by ``merchant_order_id``); Pathao sends no event id, so the event key is a
digest of consignment, event and ``timestamp`` (``updated_at`` if it is missing, else the
whole body); ``timestamp`` (UTC) is the time, ``updated_at`` (Dhaka) if it is missing.
"""

from typing import Any, Dict, List, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from couriers.base import (
    Courier,
    Update,
    canonical,
    courier_time,
    digest_key,
    note,
    required,
    same_secret,
    text_field,
)
from couriers.webhook import CourierWebhook

SIGNATURE_HEADER = "X-PATHAO-Signature"
INTEGRATION_HEADER = "X-Pathao-Merchant-Webhook-Integration-Secret"
INTEGRATION_VALUE = "f3992ecc-59da-4cbe-a049-a13da2018d51"  # published by Pathao, fixed

_EVENTS = {
    # event                             plugin's order_status          stage
    "order.created": ("order_created", None),
    "order.updated": ("order_updated", None),
    "order.pickup-requested": ("pickup_requested", None),
    "order.assigned-for-pickup": ("assigned_for_pickup", None),
    "order.picked": ("picked", "picked_up"),
    "order.pickup-failed": ("pickup_failed", None),  # between the shop and the rider
    "order.pickup-cancelled": ("pickup_cancelled", None),
    "order.at-the-sorting-hub": ("at_the_sorting_hub", "in_transit"),
    "order.in-transit": ("in_transit", "in_transit"),
    "order.received-at-last-mile-hub": ("received_at_last_mile_hub", "in_transit"),
    "order.assigned-for-delivery": ("assigned_for_delivery", "out_for_delivery"),
    "order.delivered": ("delivered", "delivered"),
    "order.partial-delivery": ("partial_delivery", "delivered"),  # the customer kept some
    "order.delivery-failed": ("delivery_failed", "failed_attempt"),
    "order.on-hold": ("on_hold", None),  # follows a failed attempt: the shop sees it
    "order.returned": ("return", "returned"),
    "order.paid-return": ("paid_return", None),
    "order.exchanged": ("exchange", None),
    "order.paid": ("payment_invoice", None),
}


class Pathao(Courier):
    name = "pathao"
    label = "Pathao"
    secret_name = "PATHAO_WEBHOOK_SECRET"
    STAGES = {
        **{event: stage for event, (_, stage) in _EVENTS.items()},
        **{status: stage for _, (status, stage) in _EVENTS.items()},
    }

    def verify(self, request: Request, secret: str) -> bool:
        return same_secret(request.headers.get(SIGNATURE_HEADER), secret)

    def handshake(self, body: Dict[str, Any]) -> Optional[HTTPResponse]:
        if body.get("event") == "webhook_integration":
            return self._answer(202, "Successfully accepted webhook_integration")
        return None

    def parse(self, body: Dict[str, Any]) -> List[Update]:
        code = required(body, "consignment_id")
        status = required(body, "event", "order_status", limit=80)
        when = text_field(body, "timestamp", limit=40) or text_field(body, "updated_at", limit=40)
        occurred = courier_time(body.get("timestamp")) or courier_time(body.get("updated_at"))
        key = digest_key(code, status, when or canonical(body))
        return [Update(key, code, status, occurred, note(body, "reason"))]

    def accepted(self) -> HTTPResponse:
        return self._answer(202, "Order status updated")

    def refused(self, status: int, reason: str) -> HTTPResponse:
        # No integration header: Pathao's own test then fails visibly for a wrong secret.
        return response.json({"status": status, "message": reason, "data": None}, status=status)

    @staticmethod
    def _answer(status: int, message: str) -> HTTPResponse:
        return response.json(
            {"status": status, "message": message, "data": None},
            status=status,
            headers={INTEGRATION_HEADER: INTEGRATION_VALUE},
        )


class PathaoWebhook(CourierWebhook):
    """credentials.yml: ``couriers.pathao.PathaoWebhook:`` (secret: PATHAO_WEBHOOK_SECRET)."""

    courier = Pathao()
