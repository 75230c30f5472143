"""Telegram connector for Rasa 3.6, on python-telegram-bot 22 (webhook mode).

credentials.yml::

    channels.telegram.TelegramInput:
      # every key is optional; unset keys fall back to the environment variable
      # token: ...            TELEGRAM_TOKEN            (from @BotFather)
      # webhook_secret: ...   TELEGRAM_WEBHOOK_SECRET   (1-256 chars: A-Z a-z 0-9 _ -)
      # bot_name: ...         TELEGRAM_BOT_NAME         (the bot's @username, no @)
      # api_base_url: ...     TELEGRAM_API_BASE_URL     (default https://api.telegram.org)

The webhook is https://<host>/webhooks/telegram/webhook; register it (with the secret) by
running ``scripts/telegram_set_webhook.py`` — never as a side effect of a message.

Why not Rasa's own ``telegram`` channel: it builds a new bot and calls ``asyncio.run``
(inside Sanic's running loop) to re-set the webhook whenever Rasa needs an output channel
(e.g. an agent's reply pushed through the HTTP API), and it trusts any caller of the
webhook. Here one ``telegram.Bot`` is created per process, lazily on the running loop, and
reused; every webhook call must carry Telegram's ``X-Telegram-Bot-Api-Secret-Token``.

Behaviour (see docs/channels.md):

* text → the user message (a leading ``/`` dropped; ``/start`` becomes a greeting);
* inline-keyboard button → the button's payload (the callback query is answered);
* edited message → answered as a new message if it edits the customer's latest message
  (typo fixes: a corrected order number gets its answer); edits of older messages are
  ignored, since answering them would jump back in the conversation;
* stickers, photos, voice, documents, locations, contacts ... → a polite
  "please write in text" reply in Bangla and English;
* only private chats are served: a group could see a customer's order details;
* the conversation id is ``tg:<chat id>``, the chat behind the verified secret header;
* every update is stored before Telegram gets its 200 (503 if it cannot be, and Telegram
  retries), then handled by the intake worker in order per chat, a redelivered update_id
  once, also after a crash or restart (``channels/intake.py``);
* malformed JSON → 400; wrong or missing secret → 403; not configured → 503.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import warnings
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from channels import (
    LRU,
    TEXT_ONLY_REPLY,
    ChannelDeliveryError,
    RateLimitedLog,
    conversation_id,
    json_object_body,
    platform_id,
    setting,
    split_message,
    typed_text,
    utf16_len,
)
from channels.intake import Intake, IntakeUnavailable

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_MESSAGE_LENGTH = 4096  # Bot API: 1-4096 characters (UTF-16 code units)
MAX_CALLBACK_DATA = 64  # Bot API: callback_data is 1-64 bytes
MAX_CAPTION_LENGTH = 1024
#: What ``/start`` (the first message of every Telegram chat) is passed to Rasa as: a greeting
#: in neither language, so that the app's language_code decides the first reply's language
#: until the customer writes (seba.language).
START_TEXT = "hello"
TYPING_REFRESH_SECONDS = 4.5  # Telegram shows "typing…" for 5 s at most
TYPING_MAX_SECONDS = 60.0
#: The update types the connector handles (used by scripts/telegram_set_webhook.py).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
_SHORT_PAYLOAD_PREFIX = "seba:"


class TelegramConfig:
    """The connector's settings: credentials.yml keys, else environment variables."""

    def __init__(
        self,
        token: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        bot_name: Optional[str] = None,
        api_base_url: Optional[str] = None,
    ) -> None:
        self.token = token
        self.webhook_secret = webhook_secret
        self.bot_name = (bot_name or "").lstrip("@") or None
        self.api_base_url = (api_base_url or DEFAULT_API_BASE_URL).rstrip("/")

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramConfig":
        return cls(
            token=setting(credentials, "token", "TELEGRAM_TOKEN"),
            webhook_secret=setting(credentials, "webhook_secret", "TELEGRAM_WEBHOOK_SECRET"),
            bot_name=setting(credentials, "bot_name", "TELEGRAM_BOT_NAME"),
            api_base_url=setting(credentials, "api_base_url", "TELEGRAM_API_BASE_URL"),
        )

    @property
    def problem(self) -> Optional[str]:
        """Why the channel cannot serve webhooks, or None when it can."""
        if not self.token:
            return "no bot token (set TELEGRAM_TOKEN)"
        if not self.webhook_secret:
            return "no webhook secret (set TELEGRAM_WEBHOOK_SECRET)"
        return None

    def make_bot(self) -> Bot:
        """A new ``telegram.Bot`` for this configuration (the token stays out of logs)."""
        if not self.token:
            raise ChannelDeliveryError("Telegram is not configured: no bot token.")
        request = HTTPXRequest(
            connection_pool_size=64,
            connect_timeout=10.0,
            read_timeout=20.0,
            write_timeout=20.0,
            pool_timeout=10.0,
        )
        return Bot(
            self.token,
            base_url=f"{self.api_base_url}/bot{{token}}",
            base_file_url=f"{self.api_base_url}/file/bot{{token}}",
            request=request,
        )


class BotHolder:
    """One ``telegram.Bot`` per process, created lazily on the running event loop.

    The bot's HTTP connection pool belongs to the loop it was created on, so it is made
    on first use inside Sanic's loop (not when Rasa reads credentials.yml, before the
    loop exists) and then reused by every webhook call and every pushed message.
    """

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self._bot: Optional[Bot] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    async def get(self) -> Bot:
        loop = asyncio.get_running_loop()
        if self._bot is not None and self._loop is loop:
            return self._bot
        bot = self.config.make_bot()
        self._bot, self._loop = bot, loop
        try:
            await bot.initialize()  # getMe: checks the token once
        except TelegramError as error:
            logger.warning("Telegram getMe failed (%s); will keep trying to send.", error)
        else:
            expected = self.config.bot_name
            if expected and bot.username.lower() != expected.lower():
                logger.warning(
                    "TELEGRAM_BOT_NAME is %r but the token belongs to @%s.",
                    expected,
                    bot.username,
                )
            logger.info("Telegram bot @%s ready.", bot.username)
        return bot

    async def close(self) -> None:
        bot, self._bot = self._bot, None
        if bot is not None and self._loop is asyncio.get_running_loop():
            await bot.shutdown()


class CallbackPayloads:
    """Maps button payloads longer than Telegram's 64-byte ``callback_data`` to short ids.

    The id is a hash of the payload, kept in a bounded in-memory LRU. After a restart (or
    on another worker) an id is unknown; the connector then falls back to the button's
    title, which goes through NLU like typed text.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self._payloads = LRU(maxsize)

    def to_callback_data(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA and not payload.startswith(
            _SHORT_PAYLOAD_PREFIX
        ):
            return payload
        key = _SHORT_PAYLOAD_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        self._payloads.put(key, payload)
        return key

    def to_payload(self, data: str) -> Optional[str]:
        """The payload behind ``callback_data``; None if it is an id this process forgot."""
        if not data.startswith(_SHORT_PAYLOAD_PREFIX):
            return data
        return self._payloads.get_recent(data)


def _chat_id(recipient_id: Text) -> Any:
    """The Telegram chat of a ``tg:<chat>`` conversation (any other id is refused)."""
    text = platform_id("telegram", recipient_id)
    return int(text) if text.lstrip("-").isdigit() else text


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta here
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class TelegramOutput(OutputChannel):
    """Sends Rasa's replies to any Telegram chat id through the shared bot.

    ``strict`` output channels (made by ``get_output_channel()`` for pushes) raise
    :class:`~channels.ChannelDeliveryError` when Telegram refuses a message; the ones
    used while answering a webhook log the failure and go on.
    """

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bots: BotHolder, payloads: CallbackPayloads, strict: bool = False) -> None:
        self.bots = bots
        self.payloads = payloads
        self.strict = strict

    async def _call(self, method: str, lenient: bool = False, **params: Any) -> Any:
        """Call a Bot API method; on failure raise (strict) or log and return None.

        ``lenient`` calls never raise: their caller has a fallback.
        """
        bot = await self.bots.get()
        for attempt in (1, 2):
            try:
                return await getattr(bot, method)(**params)
            except RetryAfter as error:  # flood control: wait as told, once
                wait = _retry_seconds(error)
                if attempt == 2 or wait > 30:
                    return self._failed(method, params, error, lenient)
                logger.info("Telegram asks to wait %.0fs before %s.", wait, method)
                await asyncio.sleep(wait)
            except TelegramError as error:  # e.g. Forbidden: the customer blocked the bot
                return self._failed(method, params, error, lenient)
        return None

    def _failed(self, method: str, params: Dict[str, Any], error: Exception, lenient: bool) -> None:
        chat = params.get("chat_id")
        if self.strict and not lenient:
            raise ChannelDeliveryError(f"Telegram {method} to chat {chat} failed: {error}")
        logger.warning("Telegram %s to chat %s failed: %s", method, chat, error)
        return None

    async def send_typing(self, recipient_id: Text) -> None:
        await self._call(
            "send_chat_action", chat_id=_chat_id(recipient_id), action=ChatAction.TYPING
        )

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in split_message(text, MAX_MESSAGE_LENGTH, utf16_len):
            await self._call("send_message", chat_id=_chat_id(recipient_id), text=part)

    def _keyboard(self, buttons: Sequence[Dict[Text, Any]]) -> Optional[InlineKeyboardMarkup]:
        keys: List[InlineKeyboardButton] = []
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "").strip()
            if not title:
                continue
            if button.get("url"):
                keys.append(InlineKeyboardButton(title, url=str(button["url"])))
            else:
                data = self.payloads.to_callback_data(str(button.get("payload") or title))
                keys.append(InlineKeyboardButton(title, callback_data=data))
        if not keys:
            return None
        if len(keys) <= 3 and all(len(k.text) <= 12 for k in keys):
            return InlineKeyboardMarkup([keys])  # short choices (yes / no) on one row
        return InlineKeyboardMarkup([[key] for key in keys])  # one per row: long Bangla titles

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        parts = split_message(text, MAX_MESSAGE_LENGTH, utf16_len) or ["👇"]
        for part in parts[:-1]:
            await self._call("send_message", chat_id=_chat_id(recipient_id), text=part)
        await self._call(
            "send_message",
            chat_id=_chat_id(recipient_id),
            text=parts[-1],
            reply_markup=self._keyboard(buttons),
        )

    async def send_quick_replies(
        self,
        recipient_id: Text,
        text: Text,
        quick_replies: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        # kwargs is the rest of Rasa's message (it holds a 'buttons' key): not passed on.
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        sent = await self._call(
            "send_photo", lenient=True, chat_id=_chat_id(recipient_id), photo=image
        )
        if sent is None:  # Telegram could not fetch it: the link still helps
            await self._call("send_message", chat_id=_chat_id(recipient_id), text=str(image))

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            sent = await self._call(
                "send_document", lenient=True, chat_id=_chat_id(recipient_id), document=attachment
            )
            if sent is not None:
                return
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Custom payloads: ``{"text": ...}`` or ``{"photo": url, "caption": ...}``."""
        if isinstance(json_message, dict) and json_message.get("photo"):
            caption = json_message.get("caption")
            await self._call(
                "send_photo",
                chat_id=_chat_id(recipient_id),
                photo=json_message["photo"],
                caption=caption[:MAX_CAPTION_LENGTH] if caption else None,
            )
        elif isinstance(json_message, dict) and json_message.get("text"):
            await self.send_text_message(recipient_id, str(json_message["text"]))
        else:
            logger.warning("Telegram: custom payload not understood, not sent: %r", json_message)


class TelegramInput(InputChannel):
    """Receives Telegram updates on /webhooks/telegram/webhook."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(TelegramConfig.from_credentials(credentials))

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.bots = BotHolder(config)
        self.payloads = CallbackPayloads()
        # Updates are stored before Telegram gets its 200 and handled by a worker, in order
        # per chat; a redelivered update_id is answered once (channels/intake.py).
        self.intake = Intake("telegram")
        self._latest_message = LRU(50_000)  # chat id -> id of the customer's latest message
        self._not_configured_log = RateLimitedLog(logger)
        self._warm_up: Optional[asyncio.Task] = None
        if config.problem:
            logger.warning(
                "Telegram channel loaded but not configured: %s. Its webhook answers 503.",
                config.problem,
            )
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        httpx_logger = logging.getLogger("httpx")
        if httpx_logger.level == logging.NOTSET:
            httpx_logger.setLevel(logging.WARNING)

    def get_output_channel(self) -> Optional[OutputChannel]:
        """An output channel for pushes (e.g. an agent's reply), no request needed."""
        if not self.config.token:
            logger.warning("Telegram is not configured (no token): cannot push a message.")
            return None
        return TelegramOutput(self.bots, self.payloads, strict=True)

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        update = getattr(request.ctx, "telegram_update", None)
        if update is None:
            try:
                update = Update.de_json(json.loads(request.body), None)
            except Exception:
                return None
        return self._metadata(update)

    @staticmethod
    def _metadata(update: Update) -> Dict[Text, Any]:
        user = update.effective_user
        chat = update.effective_chat
        message = update.effective_message
        kind = next(
            (k for k in ("callback_query", "edited_message", "message") if getattr(update, k)),
            "other",
        )
        info: Dict[Text, Any] = {"update_id": update.update_id, "kind": kind}
        if chat is not None:
            info.update(chat_id=chat.id, chat_type=str(chat.type))
        if message is not None:
            info["message_id"] = message.message_id
        if user is not None:
            info.update(
                user_id=user.id,
                username=user.username,
                first_name=user.first_name,
                language_code=user.language_code,
            )
        return {"telegram": {k: v for k, v in info.items() if v is not None}}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("seba_telegram_webhook", __name__)

        @telegram_webhook.listener("after_server_start")
        async def warm_up(*_: Any) -> None:
            if self.config.token:  # getMe in the background: token problems show at start
                self._warm_up = asyncio.get_running_loop().create_task(self.bots.get())
            if not self.config.problem:  # an unconfigured channel has nothing to handle
                self.intake.start(lambda payload: self._handle_stored(payload, on_new_message))

        @telegram_webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.intake.stop()
            await self.bots.close()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.config.problem is None})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.config.problem:
                self._not_configured_log.warning(
                    "Telegram webhook called but the channel is not configured: %s.",
                    self.config.problem,
                )
                return response.text("Telegram channel not configured", status=503)

            if not self._secret_ok(request.headers.get(SECRET_HEADER)):
                logger.warning(
                    "Telegram webhook refused: %s secret token header from %s.",
                    "missing" if request.headers.get(SECRET_HEADER) is None else "wrong",
                    request.ip,
                )
                return response.text("forbidden", status=403)

            try:
                data = json_object_body(request.body)
                if not isinstance(data.get("update_id"), int):
                    raise ValueError("an update must be a JSON object with an update_id")
            except ValueError as error:
                logger.warning("Telegram webhook: malformed update refused (%s).", error)
                return response.text("malformed update", status=400)
            # Only the kinds handled here are parsed: a kind PTB cannot parse (a newer Bot
            # API) must not turn into an error that Telegram would re-deliver for hours.
            handled = {k: data[k] for k in ALLOWED_UPDATES if data.get(k) is not None}
            if not handled:
                logger.debug("Telegram update %s of another kind ignored.", data["update_id"])
                return response.text("ok")
            try:
                update = Update.de_json({"update_id": data["update_id"], **handled}, None)
            except Exception as error:
                return await self._unparsed(data, handled, error)

            request.ctx.telegram_update = update
            chat = update.effective_chat
            if chat is None:
                logger.debug("Telegram update %s has no chat; ignored.", update.update_id)
            elif chat.type != ChatType.PRIVATE:
                logger.info(
                    "Telegram update from a %s chat %s ignored (private chats only).",
                    chat.type,
                    chat.id,
                )
            else:
                payload = {
                    "update": {"update_id": data["update_id"], **handled},
                    "metadata": self.get_metadata(request),
                }
                return await self._store(update.update_id, chat.id, payload)
            return response.text("ok")

        return telegram_webhook

    async def _unparsed(
        self, data: Dict[str, Any], handled: Dict[str, Any], error: Exception
    ) -> HTTPResponse:
        """An update PTB cannot read: polite reply if it is a private message, else 400."""
        message = handled.get("message") or handled.get("edited_message")
        chat = message.get("chat") if isinstance(message, dict) else None
        if (
            isinstance(chat, dict)
            and isinstance(chat.get("id"), int)
            and chat.get("type") == ChatType.PRIVATE
        ):
            logger.warning(
                "Telegram update %s not understood (%s); asked for text.", data["update_id"], error
            )
            return await self._store(data["update_id"], chat["id"], {"text_only": chat["id"]})
        logger.warning("Telegram webhook: malformed update refused (%s).", error)
        return response.text("malformed update", status=400)

    async def _store(self, update_id: int, chat_id: int, payload: Dict[str, Any]) -> HTTPResponse:
        """Keep the update before Telegram hears 200; if it cannot be kept, Telegram retries."""
        try:
            await self.intake.store([(update_id, conversation_id("telegram", chat_id), payload)])
        except IntakeUnavailable as error:
            logger.error(
                "Telegram update %s not stored (%s): answered 503, Telegram retries.",
                update_id,
                error,
            )
            return response.text("try again later", status=503)
        return response.text("ok")

    async def _handle_stored(
        self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """The intake worker's job: one stored update."""
        if "text_only" in payload:
            sender = conversation_id("telegram", payload["text_only"])
            await TelegramOutput(self.bots, self.payloads).send_text_message(
                sender, TEXT_ONLY_REPLY
            )
            return
        update = Update.de_json(payload["update"], None)
        sender = conversation_id("telegram", update.effective_chat.id)
        await self._handle(update, sender, payload.get("metadata"), on_new_message)

    def _secret_ok(self, received: Optional[str]) -> bool:
        expected = self.config.webhook_secret or ""
        if not received or not expected:
            return False
        return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))

    async def _handle(
        self,
        update: Update,
        sender: str,
        metadata: Optional[Dict[Text, Any]],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        out = TelegramOutput(self.bots, self.payloads)

        if update.callback_query is not None:
            text = await self._button_text(update, out)
            if not text:
                return  # a press whose data was not on the pressed message: tampered with
        elif update.message is not None:
            self._latest_message.put(sender, update.message.message_id)
            text = self._message_text(update.message)
        elif update.edited_message is not None:
            edited = update.edited_message
            if self._latest_message.get_recent(sender) != edited.message_id:
                logger.info("Telegram: edit of an older message in %s ignored.", sender)
                return
            text = self._message_text(edited)
        else:
            logger.debug("Telegram update %s of another kind ignored.", update.update_id)
            return

        if text is None:  # sticker, photo, voice, location ...
            await out.send_text_message(sender, TEXT_ONLY_REPLY)
            return
        # Even an empty message (a bare "/", spaces) gets an answer (seba/inbound.py).

        # The update's id goes with the message: Rasa skips an update it already answered
        # (a crash between the reply and marking it done, channels/intake.py).
        message = UserMessage(
            text,
            out,
            sender,
            input_channel=self.name(),
            metadata=metadata,
            message_id=f"tg:{update.update_id}",
        )
        await out.send_typing(sender)
        typing = asyncio.get_running_loop().create_task(self._keep_typing(out, sender))
        try:
            await on_new_message(message)
        finally:
            typing.cancel()

    def _message_text(self, message: Message) -> Optional[str]:
        """What a customer's message says, "" to skip it, None if it is not text."""
        if message.text is None:
            return None
        text = message.text.strip()
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            command = command.split("@", 1)[0].lower()
            if command == "/start":  # opening the chat (or a t.me/<bot>?start= link)
                return START_TEXT
            text = f"{command} {rest}".strip()
        return typed_text(text)

    async def _button_text(self, update: Update, out: TelegramOutput) -> Optional[str]:
        query = update.callback_query
        try:
            await (await self.bots.get()).answer_callback_query(query.id)
        except TelegramError as error:  # too old to answer: the press still counts
            logger.debug("Telegram answerCallbackQuery failed: %s", error)
        data = query.data or ""
        title = self._button_title(query.message, data)
        if title is False:
            logger.warning("Telegram: callback data not on the pressed message; ignored.")
            return ""
        payload = self.payloads.to_payload(data)
        if payload is None:  # a short id this process no longer knows: use the title
            payload = typed_text(title or "")
        return payload

    @staticmethod
    def _button_title(message: Any, data: str) -> Any:
        """The title of the button carrying ``data``: None if unknown, False if absent."""
        markup = getattr(message, "reply_markup", None)
        if not isinstance(markup, InlineKeyboardMarkup):
            return None
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    return button.text
        return False

    @staticmethod
    async def _keep_typing(out: TelegramOutput, sender: str) -> None:
        """Show "typing…" while Rasa works (Telegram clears it after 5 s or a message)."""
        waited = 0.0
        try:
            while waited < TYPING_MAX_SECONDS:
                await asyncio.sleep(TYPING_REFRESH_SECONDS)
                waited += TYPING_REFRESH_SECONDS
                await out.send_typing(sender)
        except asyncio.CancelledError:
            pass
