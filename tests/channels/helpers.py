"""Helpers for the connector tests: a real Sanic server around one input channel,
a stub ``on_new_message`` and builders for Telegram updates and signed Messenger events."""

import asyncio
import functools
import hashlib
import hmac
import itertools
import json
import socket
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, Optional

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

TEST_TIMEOUT = 60  # seconds, per connector test (2 shared cores: generous)


def channel_env(telegram: Any, graph: Any, telegram_secret: str, facebook: Dict[str, str]):
    """The settings that point Rasa's Telegram and Messenger connectors at the fake APIs
    (tests/conftest.py's fake_telegram / fake_graph)."""
    return {
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": telegram_secret,
        "TELEGRAM_BOT_NAME": telegram.username,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "FACEBOOK_VERIFY_TOKEN": facebook["verify"],
        "FACEBOOK_APP_SECRET": facebook["secret"],
        "FACEBOOK_PAGE_ACCESS_TOKEN": facebook["token"],
        "FACEBOOK_GRAPH_URL": graph.url,
    }


def async_test(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run an async test on a fresh event loop, bounded by TEST_TIMEOUT."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(asyncio.wait_for(fn(*args, **kwargs), TEST_TIMEOUT))

    return wrapper


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
    return predicate()


class Collector:
    """Stands in for Rasa: records each UserMessage and (optionally) answers it."""

    def __init__(self, reply: Optional[Callable[[UserMessage], Awaitable[Any]]] = None) -> None:
        self.messages: List[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply is not None:
            await self.reply(message)

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]


async def echo(message: UserMessage) -> None:
    """A bot that repeats what it heard, through the message's own output channel."""
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


@asynccontextmanager
async def serve_channel(channel: InputChannel, on_new_message: Callable) -> AsyncIterator[str]:
    """Mount the channel's blueprint as Rasa does (/webhooks/<name>) on a real HTTP server."""
    # Several Sanic apps start in one process here: test mode keeps Sanic 21.12's
    # start-up code rewriting ("touchup") repeatable.
    Sanic.test_mode = True
    app = Sanic(f"seba_channel_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/{channel.url_prefix()}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def post(
    url: str, body: Any, headers: Optional[Dict[str, str]] = None
) -> aiohttp.ClientResponse:
    """POST raw bytes or JSON; returns the response with its text read."""
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
        ) as resp:
            await resp.read()
            return resp


async def get(url: str, params: Optional[Dict[str, str]] = None) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        async with session.get(url, params=params) as resp:
            await resp.read()
            return resp


# --- Telegram updates -------------------------------------------------------------

_update_ids = itertools.count(int(time.time()) % 100000 * 1000)
_message_ids = itertools.count(1)


def tg_user(user_id: int = 7001, language_code: str = "bn", username: str = "rahim") -> Dict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Rahim",
        "username": username,
        "language_code": language_code,
    }


def tg_message(
    chat_id: int = 7001,
    text: Optional[str] = None,
    chat_type: str = "private",
    message_id: Optional[int] = None,
    **content: Any,
) -> Dict:
    message = {
        "message_id": message_id or next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": chat_type, "first_name": "Rahim"},
        "from": tg_user(chat_id if chat_id > 0 else 7001),
    }
    if text is not None:
        message["text"] = text
    message.update(content)
    return message


def tg_update(**kinds: Any) -> Dict:
    """``tg_update(message=tg_message(...))`` with a fresh update_id."""
    return {"update_id": next(_update_ids), **kinds}


def tg_callback(chat_id: int, data: str, keyboard: Optional[List[List[Dict]]] = None) -> Dict:
    message = tg_message(chat_id, text="Choose:")
    if keyboard is not None:
        message["reply_markup"] = {"inline_keyboard": keyboard}
    return tg_update(
        callback_query={
            "id": uuid.uuid4().hex[:10],
            "from": tg_user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
    )


# --- Messenger events ---------------------------------------------------------------


def fb_event(psid: str, **kind: Any) -> Dict:
    return {
        "sender": {"id": psid},
        "recipient": {"id": "PAGE1"},
        "timestamp": int(time.time() * 1000),
        **kind,
    }


def fb_payload(*events: Dict) -> Dict:
    return {
        "object": "page",
        "entry": [{"id": "PAGE1", "time": int(time.time() * 1000), "messaging": list(events)}],
    }


def fb_sign(secret: str, body: bytes, sha1: bool = True, sha256: bool = True) -> Dict[str, str]:
    headers = {}
    if sha256:
        headers["X-Hub-Signature-256"] = (
            "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        )
    if sha1:
        headers["X-Hub-Signature"] = (
            "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        )
    return headers


def fb_body(payload: Dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
