"""Facebook Messenger connector: Rasa's ``facebook`` channel, hardened and made pushable.

credentials.yml::

    channels.facebook.MessengerInput:
      # every key is optional; unset keys fall back to the environment variable
      # verify: ...             FACEBOOK_VERIFY_TOKEN       (you choose it; Meta echoes it)
      # secret: ...             FACEBOOK_APP_SECRET         (App settings > Basic)
      # page-access-token: ...  FACEBOOK_PAGE_ACCESS_TOKEN  (the page's token)
      # graph-url: ...          FACEBOOK_GRAPH_URL          (default https://graph.facebook.com)
      # api-version: ...        FACEBOOK_API_VERSION        (e.g. 19.0; default fbmessenger's)

The webhook is https://<host>/webhooks/facebook/webhook (GET: Meta's verification with
``hub.verify_token``; POST: signed events).

What changes compared with ``rasa.core.channels.facebook`` (which this subclasses):

* every POST must carry a valid ``X-Hub-Signature-256`` and/or ``X-Hub-Signature``
  (HMAC of the raw body with the app secret, compared in constant time); anything else is
  refused with 403 (Rasa answered 200 "not validated"); a wrong verify token gets 403;
* without tokens the channel still loads and answers 503;
* the conversation id is ``fb:<PSID>``, the sender of an event behind a valid signature;
* all events of a batch are handled (Rasa handled the first one only): stored before Meta
  gets its 200 (503 if they cannot be, and Meta retries), then handled by the intake worker
  in order per customer, a redelivered message id once (``channels/intake.py``);
* echoes, delivery and read receipts are ignored; attachments (image, audio, video, file,
  sticker, location) get the polite "please write in text" reply instead of their URL
  being read as the customer's words; postbacks and quick replies pass their payload;
* replies respect Messenger's limits: text ≤ 2000 characters (split at paragraphs and
  sentences), button template ≤ 3 buttons and ≤ 640 characters of text, titles ≤ 20
  characters, ≤ 13 quick replies; more choices are sent as several button templates;
* Graph API calls (blocking ``requests`` in fbmessenger) run in a worker thread, with a
  timeout, on one client per process; the Graph base URL and version are configurable
  (fbmessenger hard-codes graph.facebook.com), and ``appsecret_proof`` is sent.
"""

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text, Tuple

import requests
from fbmessenger import MessengerClient
from fbmessenger.attachments import Image
from fbmessenger.quick_replies import QuickReply
from fbmessenger.sender_actions import SenderAction
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import (
    TEXT_ONLY_REPLY,
    ChannelDeliveryError,
    RateLimitedLog,
    conversation_id,
    json_object_body,
    platform_id,
    setting,
    shorten,
    split_message,
    typed_text,
)
from channels.intake import Intake, IntakeUnavailable

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
MAX_TEXT_LENGTH = 2000
MAX_TEMPLATE_TEXT_LENGTH = 640
MAX_TEMPLATE_BUTTONS = 3
MAX_QUICK_REPLIES = 13
MAX_TITLE_LENGTH = 20
MAX_PAYLOAD_LENGTH = 1000
MAX_GENERIC_ELEMENTS = 10
MAX_ELEMENT_TEXT = 80
GRAPH_TIMEOUT_SECONDS = 15
#: Text of the extra button templates when a reply has more choices than fit in one.
MORE_OPTIONS_TEXT = "আরও বিকল্প / More options"


class GraphClient(MessengerClient):
    """fbmessenger's client with a configurable Graph API base URL and version."""

    def __init__(
        self,
        page_access_token: Text,
        graph_url: Optional[Text] = None,
        api_version: Optional[Text] = None,
        app_secret: Optional[Text] = None,
    ) -> None:
        kwargs: Dict[str, Any] = {"app_secret": app_secret}
        if api_version:
            kwargs["api_version"] = str(api_version).lstrip("vV")
        super().__init__(page_access_token, **kwargs)
        self.graph_url = "{base}/v{version}".format(
            base=(graph_url or DEFAULT_GRAPH_URL).rstrip("/"), version=self.api_version
        )


def _graph_error(result: Any) -> Optional[str]:
    if isinstance(result, dict) and result.get("error"):
        error = result["error"]
        if isinstance(error, dict):
            kind, code = error.get("type", "error"), error.get("code", "")
            return f"{kind} {code}: {error.get('message', '')}"
        return str(error)
    return None


class SebaMessengerBot(MessengerBot):
    """Sends replies to any page-scoped id (PSID), within Messenger's limits.

    ``strict`` output channels (made by ``get_output_channel()`` for pushes) raise
    :class:`~channels.ChannelDeliveryError` when the Graph API refuses a message; the
    ones used while answering a webhook log the failure and go on.
    """

    def __init__(
        self, messenger_client: MessengerClient, strict: bool = False, tag: Optional[str] = None
    ) -> None:
        super().__init__(messenger_client)
        self.strict = strict
        # A message tag (e.g. POST_PURCHASE_UPDATE) for an order update outside the 24-hour
        # window, where the shop allows one (seba/notices, docs/customer-updates.md).
        self.tag = tag

    # -- transport ----------------------------------------------------------------

    async def _send_payload(self, recipient_id: Text, payload: Any) -> None:
        psid = platform_id("facebook", recipient_id)  # refuses other channels' ids
        try:
            result = await asyncio.to_thread(
                self.messenger_client.send,
                payload,
                psid,
                "MESSAGE_TAG" if self.tag else "RESPONSE",
                timeout=GRAPH_TIMEOUT_SECONDS,
                tag=self.tag,
            )
            problem = _graph_error(result)
        except (requests.RequestException, ValueError) as error:
            problem = str(error)
        if problem:
            if self.strict:
                raise ChannelDeliveryError(f"Messenger send to {recipient_id} failed: {problem}")
            logger.warning("Messenger send to %s failed: %s", recipient_id, problem)

    async def send_action(self, recipient_id: Text, sender_action: Text) -> None:
        """typing_on / typing_off / mark_seen: cosmetic, so failures are only logged."""
        try:
            result = await asyncio.to_thread(
                self.messenger_client.send_action,
                SenderAction(sender_action).to_dict(),
                platform_id("facebook", recipient_id),
                timeout=GRAPH_TIMEOUT_SECONDS,
            )
            problem = _graph_error(result)
        except (requests.RequestException, ValueError) as error:
            problem = str(error)
        if problem:
            logger.debug("Messenger %s to %s failed: %s", sender_action, recipient_id, problem)

    def send(self, recipient_id: Text, element: Any) -> None:  # pragma: no cover
        raise NotImplementedError("SebaMessengerBot sends asynchronously: use send_* coroutines.")

    # -- Rasa's output channel API ------------------------------------------------

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in split_message(text, MAX_TEXT_LENGTH):
            await self._send_payload(recipient_id, {"text": part})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send_payload(recipient_id, Image(url=image).to_dict())

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        """≤ 3 buttons: one button template; 4-13 postbacks: quick replies; else templates of 3."""
        fb_buttons = [b for b in (self._button(raw) for raw in buttons) if b]
        if not fb_buttons:
            await self.send_text_message(recipient_id, text)
        elif len(fb_buttons) <= MAX_TEMPLATE_BUTTONS:
            await self._send_templates(recipient_id, text, fb_buttons)
        elif len(fb_buttons) <= MAX_QUICK_REPLIES and all(
            b["type"] == "postback" for b in fb_buttons
        ):
            await self._send_quick_replies(
                recipient_id,
                text,
                [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]}
                    for b in fb_buttons
                ],
            )
        else:
            await self._send_templates(recipient_id, text, fb_buttons)

    async def send_quick_replies(
        self,
        recipient_id: Text,
        text: Text,
        quick_replies: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        replies = [r for r in (self._quick_reply(raw) for raw in quick_replies) if r]
        if len(replies) <= MAX_QUICK_REPLIES:
            await self._send_quick_replies(recipient_id, text, replies)
        else:  # quick replies only show under the latest message: use persistent buttons
            await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_elements(
        self, recipient_id: Text, elements: Iterable[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        cards = []
        for element in list(elements)[:MAX_GENERIC_ELEMENTS]:
            card = dict(element)
            for key in ("title", "subtitle"):
                if card.get(key):
                    card[key] = shorten(str(card[key]), MAX_ELEMENT_TEXT)
            if "buttons" in card:
                card["buttons"] = [b for b in (self._button(raw) for raw in card["buttons"]) if b][
                    :MAX_TEMPLATE_BUTTONS
                ]
            cards.append(card)
        payload = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": cards},
            }
        }
        await self._send_payload(recipient_id, payload)

    async def send_custom_json(self, recipient_id: Text, json_message: Any, **kwargs: Any) -> None:
        # A custom payload goes to this conversation's customer only: a "sender" key in it
        # (Rasa's own connector lets it pick another recipient) is dropped.
        for message in json_message if isinstance(json_message, list) else [json_message]:
            if isinstance(message, dict):
                message.pop("sender", None)
        await self._send_payload(recipient_id, json_message)

    # -- limits ---------------------------------------------------------------------

    @staticmethod
    def _button(raw: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        title = str(raw.get("title") or raw.get("payload") or "").strip()
        if not title:
            return None
        if raw.get("url") or raw.get("type") == "web_url":
            return {
                "type": "web_url",
                "title": shorten(title, MAX_TITLE_LENGTH),
                "url": str(raw.get("url", "")),
            }
        payload = str(raw.get("payload") or title)
        if len(payload) > MAX_PAYLOAD_LENGTH:
            logger.warning(
                "Messenger: button payload over %d characters dropped: %r…",
                MAX_PAYLOAD_LENGTH,
                payload[:40],
            )
            return None
        return {
            "type": raw.get("type") or "postback",
            "title": shorten(title, MAX_TITLE_LENGTH),
            "payload": payload,
        }

    @staticmethod
    def _quick_reply(raw: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        content_type = raw.get("content_type") or "text"
        if content_type != "text":  # user_phone_number / user_email: no title
            return QuickReply(content_type=content_type).to_dict()
        title = str(raw.get("title") or raw.get("payload") or "").strip()
        payload = str(raw.get("payload") or title)
        if not title or len(payload) > MAX_PAYLOAD_LENGTH:
            return None
        return QuickReply(title=shorten(title, MAX_TITLE_LENGTH), payload=payload).to_dict()

    async def _send_quick_replies(
        self, recipient_id: Text, text: Text, replies: List[Dict[Text, Any]]
    ) -> None:
        parts = split_message(text, MAX_TEXT_LENGTH) or ["👇"]
        for part in parts[:-1]:
            await self._send_payload(recipient_id, {"text": part})
        message: Dict[str, Any] = {"text": parts[-1]}
        if replies:
            message["quick_replies"] = replies
        await self._send_payload(recipient_id, message)

    async def _send_templates(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]]
    ) -> None:
        parts = split_message(text, MAX_TEXT_LENGTH) or ["👇"]
        if len(parts[-1]) > MAX_TEMPLATE_TEXT_LENGTH:
            parts[-1:] = split_message(parts[-1], MAX_TEMPLATE_TEXT_LENGTH)
        for part in parts[:-1]:
            await self._send_payload(recipient_id, {"text": part})
        template_text = parts[-1]
        for start in range(0, len(buttons), MAX_TEMPLATE_BUTTONS):
            payload = {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": template_text,
                        "buttons": buttons[start : start + MAX_TEMPLATE_BUTTONS],
                    },
                }
            }
            await self._send_payload(recipient_id, payload)
            template_text = MORE_OPTIONS_TEXT


class SebaMessenger(Messenger):
    """Turns Messenger webhook events into Rasa user messages (see module docstring)."""

    def __init__(
        self,
        client: MessengerClient,
        on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None,
    ) -> None:
        # Rasa's __init__ builds a new MessengerClient per webhook call; share one instead.
        self.client = client
        self.on_new_message = on_new_message
        self.last_message: Dict[Text, Any] = {}

    def jobs(
        self, payload: Dict, metadata: Optional[Dict[Text, Any]]
    ) -> List[Tuple[str, str, Dict]]:
        """Every messaging event of the batch as (event id, conversation id, job payload)."""
        found = []
        entries = payload.get("entry")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            events = entry.get("messaging")
            for event in events if isinstance(events, list) else []:
                if isinstance(event, dict) and isinstance(event.get("sender") or {}, dict):
                    job = self._job(entry, event, metadata)
                    if job:
                        found.append(job)
        return found

    def _job(
        self, entry: Dict[Text, Any], event: Dict[Text, Any], metadata: Optional[Dict]
    ) -> Optional[Tuple[str, str, Dict]]:
        sender_id = str((event.get("sender") or {}).get("id") or "")
        message = event.get("message")
        postback = event.get("postback")
        info: Dict[Text, Any] = {"page_id": entry.get("id"), "timestamp": event.get("timestamp")}

        if isinstance(message, dict):
            if message.get("is_echo"):
                return None  # our own replies, echoed back
            info["mid"] = message.get("mid")
            if self._is_quick_reply_message(event):
                text: Optional[str] = str(message["quick_reply"]["payload"])
                info["kind"] = "quick_reply"
            elif isinstance(message.get("text"), str) and message["text"].strip():
                text = typed_text(message["text"])
                info["kind"] = "text"
            elif message.get("attachments") or message.get("sticker_id"):
                text = None  # image, audio, video, file, sticker, location ...
                info["kind"] = "attachment"
            else:
                logger.debug("Messenger message without text or attachment ignored.")
                return None
        elif isinstance(postback, dict):
            text = str(postback.get("payload") or typed_text(postback.get("title")) or "")
            info["kind"] = "postback"
            info["mid"] = postback.get("mid")
        else:
            return None  # delivery, read, reaction, referral, optin ...: nothing to answer

        if not sender_id:
            logger.warning("Messenger event without a sender ignored.")
            return None
        sender = conversation_id("facebook", sender_id)
        event_metadata = dict(metadata or {})
        event_metadata["facebook"] = {k: v for k, v in info.items() if v is not None}
        # Meta's message id names the event; without one, the event itself does.
        event_id = str(
            info.get("mid")
            or hashlib.sha256(
                json.dumps(event, sort_keys=True, default=str).encode("utf-8")
            ).hexdigest()
        )
        return event_id, sender, {"text": text, "sender": sender, "metadata": event_metadata}

    async def handle_job(self, job: Dict[str, Any]) -> None:
        """The intake worker's job: one stored event."""
        text, sender_id = job.get("text"), job["sender"]
        if text is None:
            await SebaMessengerBot(self.client).send_text_message(sender_id, TEXT_ONLY_REPLY)
        else:  # even an empty one gets an answer (seba/inbound.py)
            await self._handle_user_message(text, sender_id, job.get("metadata"))

    async def _handle_user_message(
        self, text: Text, sender_id: Text, metadata: Optional[Dict[Text, Any]]
    ) -> None:
        out_channel = SebaMessengerBot(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        await out_channel.send_action(sender_id, sender_action="typing_on")
        mid = ((metadata or {}).get("facebook") or {}).get("mid")
        message = UserMessage(
            text,
            out_channel,
            sender_id,
            input_channel=self.name(),
            metadata=metadata,
            message_id=f"fb:{mid}" if mid else None,
        )
        try:
            await self.on_new_message(message)
        finally:
            await out_channel.send_action(sender_id, sender_action="typing_off")


class MessengerInput(FacebookInput):
    """Receives Messenger events on /webhooks/facebook/webhook."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(
            setting(credentials, "verify", "FACEBOOK_VERIFY_TOKEN"),
            setting(credentials, "secret", "FACEBOOK_APP_SECRET"),
            setting(credentials, "page-access-token", "FACEBOOK_PAGE_ACCESS_TOKEN"),
            graph_url=setting(credentials, "graph-url", "FACEBOOK_GRAPH_URL"),
            api_version=setting(credentials, "api-version", "FACEBOOK_API_VERSION"),
        )

    def __init__(
        self,
        fb_verify: Optional[Text],
        fb_secret: Optional[Text],
        fb_access_token: Optional[Text],
        graph_url: Optional[Text] = None,
        api_version: Optional[Text] = None,
    ) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.graph_url = graph_url
        self.api_version = api_version
        # Events are stored before Meta gets its 200 and handled by a worker, in order per
        # customer; a redelivered message id is answered once (channels/intake.py).
        self.intake = Intake("facebook")
        self._client: Optional[GraphClient] = None
        self._not_configured_log = RateLimitedLog(logger)
        if self.problem:
            logger.warning(
                "Facebook channel loaded but not configured: %s. Its webhook answers 503.",
                self.problem,
            )

    @property
    def problem(self) -> Optional[str]:
        """Why the channel cannot serve webhooks, or None when it can."""
        missing = [
            env
            for env, value in (
                ("FACEBOOK_VERIFY_TOKEN", self.fb_verify),
                ("FACEBOOK_APP_SECRET", self.fb_secret),
                ("FACEBOOK_PAGE_ACCESS_TOKEN", self.fb_access_token),
            )
            if not value
        ]
        return f"missing {', '.join(missing)}" if missing else None

    def client(self) -> GraphClient:
        """One Graph API client (one HTTP session) per process."""
        if self._client is None:
            self._client = GraphClient(
                self.fb_access_token,
                graph_url=self.graph_url,
                api_version=self.api_version,
                app_secret=self.fb_secret,
            )
        return self._client

    def get_output_channel(self) -> Optional[OutputChannel]:
        """An output channel for pushes (e.g. an agent's reply), no request needed."""
        if not self.fb_access_token:
            logger.warning("Facebook is not configured (no page token): cannot push a message.")
            return None
        return SebaMessengerBot(self.client(), strict=True)

    def signature_ok(self, body: bytes, headers: Any) -> bool:
        """Both Meta signature headers, where present, must match; at least one must be."""
        checks = (
            ("X-Hub-Signature-256", "sha256", hashlib.sha256),
            ("X-Hub-Signature", "sha1", hashlib.sha1),
        )
        seen = False
        for header, prefix, digest in checks:
            value = headers.get(header)
            if value is None:
                continue
            seen = True
            method, _, signature = value.strip().partition("=")
            expected = hmac.new(self.fb_secret.encode("utf-8"), body, digest).hexdigest()
            if method.lower() != prefix or not hmac.compare_digest(
                signature.lower().encode("ascii", "replace"), expected.encode("ascii")
            ):
                return False
        return seen

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        fb_webhook = Blueprint("seba_facebook_webhook", __name__)

        @fb_webhook.listener("after_server_start")
        async def start(*_: Any) -> None:
            if not self.problem:  # an unconfigured channel has nothing to handle
                self.intake.start(SebaMessenger(self.client(), on_new_message).handle_job)

        @fb_webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.intake.stop()

        @fb_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.problem is None})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            if self.problem:
                return self._not_configured()
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.fb_verify.encode("utf-8")
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning(
                "Facebook webhook verification refused from %s: wrong verify token "
                "(it must equal FACEBOOK_VERIFY_TOKEN).",
                request.ip,
            )
            return response.text("forbidden", status=403)

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.problem:
                return self._not_configured()
            if not self.signature_ok(request.body or b"", request.headers):
                logger.warning(
                    "Facebook webhook refused: %s signature from %s (check FACEBOOK_APP_SECRET).",
                    "wrong"
                    if (
                        "X-Hub-Signature" in request.headers
                        or "X-Hub-Signature-256" in request.headers
                    )
                    else "missing",
                    request.ip,
                )
                return response.text("forbidden", status=403)
            try:
                payload = json_object_body(request.body)
            except ValueError as error:
                logger.warning("Facebook webhook: malformed body refused (%s).", error)
                return response.text("malformed body", status=400)
            if payload.get("object") != "page":
                logger.debug("Facebook webhook for %r ignored.", payload.get("object"))
                return response.text("EVENT_RECEIVED")
            jobs = SebaMessenger(self.client()).jobs(payload, self.get_metadata(request))
            try:
                await self.intake.store(jobs)
            except IntakeUnavailable as error:
                logger.error("Messenger events not stored (%s): answered 503, Meta retries.", error)
                return response.text("try again later", status=503)
            return response.text("EVENT_RECEIVED")

        return fb_webhook

    def _not_configured(self) -> HTTPResponse:
        self._not_configured_log.warning(
            "Facebook webhook called but the channel is not configured: %s.", self.problem
        )
        return response.text("Facebook channel not configured", status=503)
