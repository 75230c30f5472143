"""The website chat bubble's channel: Rasa's socket.io connector with server-issued sessions.

credentials.yml::

    channels.webchat.WebChatInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      metadata_key: customData

The socket is the one channel any visitor on the internet can reach, and the only thing
that tells visitors apart is the session id they hold. So, unlike Rasa's ``socketio``
channel (which takes whatever ``session_id`` the client sends), this one:

* accepts only **session tokens it issued**: 128 random bits plus an HMAC of them
  (``SEBA_SECRET_KEY``), 64 hex characters; anything else — a bare number, a Telegram chat
  id, another channel's id, a forged token — gets a fresh token in ``session_confirm``
  (rasa-webchat keeps the id it is confirmed with, so a reload or a dropped socket resumes
  the same conversation);
* binds the socket to the conversation at ``session_request`` and ignores the
  ``session_id`` of later messages: a socket speaks for one conversation only;
* names the conversation ``web:<random part>``: the token never appears in the tracker,
  the console or the logs, and knowing a conversation id does not let anyone in;
* refuses browsers from origins other than the shop's own (``seba.settings`` allowed
  origins; clients that send no Origin, such as apps, are let in);
* keeps only the page language from the client's metadata; a message that is not text
  (a list, an object) gets the polite "please write in text" reply.

Replies and pushes (``output_channel=latest``) go to the room named after the conversation,
which every socket of that visitor joined. When several Rasa processes serve the sockets
(``make run`` starts two workers; README, Scaling out), ``SEBA_SOCKETIO_REDIS_URL`` names a
Redis database through which every process hears every emit, so an agent's reply sent through
any process reaches the socket wherever it is; the sockets must then use the websocket
transport (a long-polling session would be split between processes), and polling is refused.
Each process subscribes to Redis before it serves (``listen_before_serving``): Redis keeps
nothing for a subscriber that is not there yet, and python-socketio would subscribe only when
the first visitor connects, so that visitor's ``session_confirm`` could be lost and the bubble
stay greyed out. ``session_confirm`` goes straight to its socket, which is always on the
process answering the ``session_request``.
"""

import asyncio
import hashlib
import hmac
import logging
import os
import secrets as _random
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import engineio
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from channels import TEXT_ONLY_REPLY, conversation_id
from seba import secrets
from seba.settings import allowed_origins

logger = logging.getLogger(__name__)

TOKEN_RANDOM_BYTES = 16
PAGE_LANGUAGES = ("bn", "en")
REDIS_URL_ENV = "SEBA_SOCKETIO_REDIS_URL"
SUBSCRIBE_WAIT_S = 10.0


class _EngineServer(engineio.AsyncServer):
    """engineio's server (under python-socketio's), its request handler marked as a
    websocket's.

    When a websocket it upgraded closes, engineio's handler returns nothing; Sanic takes a
    handler's None for a missing HTTP response unless the handler is marked ``is_websocket``,
    and logged "Invalid response type None" with a traceback for every visitor who left
    (sanic#2572, python-engineio#221). With the mark, HTTP responses (long polling, refusals)
    are sent as before and a closed websocket ends quietly."""

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        return await super().handle_request(*args, **kwargs)

    handle_request.is_websocket = True  # type: ignore[attr-defined]


class _SocketServer(AsyncServer):
    """python-socketio's server on ``_EngineServer`` (its documented hook for the class)."""

    def _engineio_server_class(self) -> type:
        return _EngineServer


def server_options() -> Dict[str, Any]:
    """socket.io server options: alone, Rasa's defaults; with ``SEBA_SOCKETIO_REDIS_URL``
    (several processes), emits go through Redis and only websockets are accepted."""
    url = os.environ.get(REDIS_URL_ENV, "").strip()
    if not url:
        return {}
    return {
        "client_manager": AsyncRedisManager(url, channel="seba-webchat"),
        "transports": ["websocket"],
    }


async def listen_before_serving(sio: AsyncServer, wait_s: float = SUBSCRIBE_WAIT_S) -> bool:
    """Start the Redis listener now and wait until it has subscribed; True once it has.

    python-socketio starts it at the first connection (``manager_initialized``, 5.x): its
    own first step, done here instead, before this process accepts any visitor."""
    manager = sio.manager
    if not isinstance(manager, AsyncRedisManager):
        return False
    if not hasattr(sio, "manager_initialized"):  # a python-socketio that does it elsewhere
        logger.warning("Web chat: cannot start the Redis listener early (python-socketio changed)")
        return False
    if not sio.manager_initialized:
        sio.manager_initialized = True
        manager.initialize()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while loop.time() < deadline:
        if manager.pubsub.channels:  # SUBSCRIBE sent on the listener's connection
            await manager.redis.ping()  # and a round trip later, Redis has it
            return True
        await asyncio.sleep(0.02)
    logger.warning("Web chat: not subscribed to Redis after %.0f s; serving anyway", wait_s)
    return False


def _mac(random_hex: str) -> str:
    key = secrets.derived_key("web-session")
    return hmac.new(key, random_hex.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def issue_token() -> str:
    """A new session token: 32 hex random + 32 hex HMAC."""
    random_hex = _random.token_hex(TOKEN_RANDOM_BYTES)
    return random_hex + _mac(random_hex)


def conversation_of(token: Any) -> Optional[str]:
    """``web:<random>`` for a token this installation issued; None for anything else."""
    if not isinstance(token, str) or len(token) != 64:
        return None
    random_hex, mac = token[:32], token[32:]
    try:
        bytes.fromhex(token)
    except ValueError:
        return None
    if not hmac.compare_digest(mac.encode("ascii"), _mac(random_hex).encode("ascii")):
        return None
    return conversation_id("socketio", random_hex)


def page_metadata(raw: Any) -> Dict[str, Any]:
    """What the page may tell the bot: its language (bn/en), nothing else."""
    if isinstance(raw, dict) and raw.get("language") in PAGE_LANGUAGES:
        return {"language": raw["language"]}
    return {}


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"  # the output channel's name too: transcripts and the console use it

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,
            credentials.get("socketio_path", "/socket.io"),
            None,
            "HS256",
            credentials.get("metadata_key", "customData"),
        )

    def origins(self) -> List[str]:
        return allowed_origins()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS headers come from Rasa's --cors (seba.server sets the shop's origins); engineio
        # must not add its own as well (browsers reject two). The origin check is in connect.
        sio = _SocketServer(async_mode="sanic", cors_allowed_origins=[], **server_options())
        blueprint = SocketBlueprint(sio, self.socketio_path, "seba_webchat", __name__)
        self.sio = sio
        namespace = self.namespace
        origins = set(self.origins())

        @blueprint.listener("before_server_start")
        async def subscribe(*_: Any) -> None:
            await listen_before_serving(sio)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin and origin not in origins:
                logger.warning(
                    "Web chat: connection from origin %s refused (not in the "
                    "shop's allowed origins).",
                    origin,
                )
                return False
            return True

        async def bind(sid: Text, token: Any) -> str:
            conversation = conversation_of(token)
            if conversation is None:
                token = issue_token()
                conversation = conversation_of(token)
            await sio.save_session(sid, {"conversation": conversation}, namespace=namespace)
            sio.enter_room(sid, conversation, namespace=namespace)
            # This process holds the socket: no need to go round through Redis.
            await sio.emit(
                "session_confirm", token, room=sid, namespace=namespace, ignore_queue=True
            )
            return conversation

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            await bind(sid, data.get("session_id") if isinstance(data, dict) else None)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation = session.get("conversation") or await bind(sid, None)
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            if isinstance(text, (int, float)) and not isinstance(text, bool):
                text = str(text)  # a number is something the customer typed
            if not isinstance(text, str):  # a list, an object, nothing: not words to read
                await sio.emit(
                    self.bot_message_evt, {"text": TEXT_ONLY_REPLY}, room=sid, namespace=namespace
                )
                return
            message = UserMessage(
                text,
                SocketIOOutput(sio, self.bot_message_evt),
                conversation,
                input_channel=self.name(),
                metadata=page_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        return blueprint
