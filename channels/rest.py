"""REST channel for a shop's own app: Rasa's ``rest`` connector, off until given a secret.

credentials.yml::

    channels.rest.RestInput:
      # secret: ...   SEBA_REST_SECRET   (the app sends "Authorization: Bearer <secret>")

``POST /webhooks/rest/webhook`` with ``{"sender": "<the app's user id>", "message": "…"}``
answers with the bot's messages, as Rasa's REST channel does. What changes:

* without a secret the channel is **off**: every call gets 403 (the webhook faces the same
  port as the public channels, and a REST caller names its own sender);
* the secret travels in a header (never in the URL) and is compared in constant time;
* the conversation id is ``rest:<sender>`` — the app's users cannot reach Telegram,
  Messenger or web-chat conversations — and ``input_channel`` in the body is ignored;
* a request without a usable ``sender`` or with a ``message`` that is not text is refused
  with 400 and a reason, instead of landing in a shared "default" conversation;
* message text is never written to the log.
"""

import hmac
import logging
import re
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import conversation_id, json_object_body, setting

logger = logging.getLogger(__name__)

#: What a sender id may look like (the app's own user ids).
SENDER_PATTERN = re.compile(r"[A-Za-z0-9_.@+-]{1,128}")  # whole string: fullmatch


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(setting(credentials, "secret", "SEBA_REST_SECRET"))

    def __init__(self, secret: Optional[str] = None) -> None:
        self.secret = secret
        if not secret:
            logger.info("REST channel off (no SEBA_REST_SECRET): its webhook answers 403.")

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        scheme, _, given = header.partition(" ")
        if not self.secret or scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), self.secret.encode("utf-8"))

    @staticmethod
    def _refuse(status: int, error: str) -> HTTPResponse:
        return response.json({"error": error}, status=status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest_webhook = Blueprint("seba_rest_webhook", __name__)

        @rest_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "enabled": bool(self.secret)})

        @rest_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                logger.warning(
                    "REST webhook refused from %s: %s.",
                    request.ip,
                    "channel off" if not self.secret else "missing or wrong secret",
                )
                return self._refuse(
                    403, "forbidden: send the app's secret as 'Authorization: Bearer <secret>'"
                )
            try:
                body = json_object_body(request.body or b"")
            except ValueError:  # not JSON, not an object, nested too deeply
                return self._refuse(400, "the body must be a JSON object")
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER_PATTERN.fullmatch(sender):
                return self._refuse(400, "'sender' is required: 1-128 letters, digits or . _ @ + -")
            if not isinstance(text, str):
                return self._refuse(400, "'message' must be text")
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                conversation_id("rest", sender),
                input_channel=self.name(),
                metadata=self.get_metadata(request),
            )
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("REST message for %s timed out.", message.sender_id)
            except Exception:  # noqa: BLE001 - answer what was collected
                logger.exception("REST message for %s failed.", message.sender_id)
            return response.json(collector.messages)

        return rest_webhook
