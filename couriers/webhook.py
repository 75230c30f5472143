"""A courier's webhook as a Rasa input channel: ``POST /webhooks/<courier>/webhook``.

Served on Rasa's port like the Telegram and Messenger webhooks, so the reverse proxy's
existing upstream reaches it and every Rasa worker accepts it (the database makes each
event count once). The channel never talks to the bot: its blueprint only stores updates
(``couriers/intake.py``). Each courier module subclasses :class:`CourierWebhook` with its
:class:`~couriers.base.Courier`, and ``credentials.yml`` names the subclass.

One call, in this order: no secret configured → refused (every call); not verified as the
courier documents it → refused (401); body over ``MAX_BODY_BYTES`` → 413; not a JSON object
(or nested deeper than ``channels.MAX_JSON_DEPTH``) or not an update → 400; the courier's
set-up test → its expected answer; else stored and applied in one transaction, *then*
answered (503 if the database could not take it: nothing was written, the courier retries).
"""

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import RateLimitedLog, json_object_body
from channels.intake import IntakeUnavailable
from couriers import intake
from couriers.base import Courier
from seba import secrets

logger = logging.getLogger(__name__)

#: Courier calls are a few hundred bytes; anything this large is not one.
MAX_BODY_BYTES = 64 * 1024


def configured_secret(name: str) -> Optional[str]:
    """The courier's secret from the environment or var/secrets.env; None if unset."""
    try:
        return secrets.get(name)
    except secrets.MissingSecret:
        return None


class CourierWebhook(InputChannel):
    courier: Courier = Courier()

    @classmethod
    def name(cls) -> Text:
        return cls.courier.name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        # Secrets never go in credentials.yml: seba/secrets.py (environment, then the file).
        return cls(configured_secret(cls.courier.secret_name))

    def __init__(self, secret: Optional[str], database_url: Optional[str] = None) -> None:
        self.secret = secret or None
        self.database_url = database_url  # None: seba.db's DATABASE_URL
        self._refusals = RateLimitedLog(logger)
        if not self.secret:
            logger.info(
                "%s webhook loaded without %s: it refuses every call.",
                self.courier.label,
                self.courier.secret_name,
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"seba_{self.courier.name}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": bool(self.secret)})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request)

        return webhook

    async def receive(self, request: Request) -> HTTPResponse:
        courier = self.courier
        if not self.secret or not courier.verify(request, self.secret):
            self._refusals.warning(
                "%s webhook refused from %s: %s.",
                courier.label,
                request.ip,
                f"{courier.secret_name} is not set" if not self.secret else "not verified",
            )
            return courier.refused(401, "unauthorized")
        raw = request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            return courier.refused(413, "the body is too large")
        try:
            body = json_object_body(raw)
        except ValueError as error:
            logger.warning("%s webhook: malformed body refused (%s).", courier.label, error)
            return courier.refused(400, "the body must be a JSON object")
        handshake = courier.handshake(body)
        if handshake is not None:
            logger.info("%s webhook: set-up test answered.", courier.label)
            return handshake
        try:
            updates = courier.parse(body)
        except (ValueError, TypeError) as error:
            logger.warning("%s webhook: update refused (%s).", courier.label, error)
            return courier.refused(400, f"not an update: {error}")
        if not updates:
            return courier.refused(400, "not an update: nothing to record")
        payload = json.dumps(body, ensure_ascii=False)
        try:
            outcome = await intake.store(courier, updates, payload, self.database_url)
        except IntakeUnavailable as error:
            logger.error(
                "%s webhook: update not stored (%s): answered 503, the courier may retry.",
                courier.label,
                error,
            )
            return courier.refused(503, "try again later")
        return courier.accepted() if outcome.stored else courier.duplicate()
