"""The web chat channel (channels/webchat.py) on a real Sanic server, with a real socket.io
client: the stranger's attempts to open someone else's conversation first."""

import asyncio
from typing import Any, List, Optional

import pytest
import socketio

from channels import TEXT_ONLY_REPLY
from channels.webchat import WebChatInput, conversation_of, issue_token, page_metadata
from tests.channels.helpers import Collector, async_test, echo, get, serve_channel, wait_until

ORIGIN = "https://shop.example"


class Visitor:
    """A browser tab: a socket.io client that asks for a session with the id it holds."""

    def __init__(self, base_url: str, headers: Optional[dict] = None) -> None:
        self.base_url = base_url.split("/webhooks/")[0]
        self.headers = headers or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: List[Any] = []
        self.replies: List[dict] = []
        self.sio.on("session_confirm", self.confirmed.append)
        self.sio.on("bot_uttered", self.replies.append)

    async def connect(self, session_id: Any = None) -> str:
        await self.sio.connect(
            self.base_url,
            socketio_path="/socket.io",
            headers=self.headers,
            transports=["websocket"],
        )
        await self.sio.emit("session_request", {"session_id": session_id})
        await wait_until(lambda: self.confirmed)
        return self.confirmed[-1]

    async def say(self, text: Any, session_id: Any = None, meta: Any = None) -> None:
        await self.sio.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": session_id,
                "customData": meta if meta is not None else {},
            },
        )

    async def close(self) -> None:
        await self.sio.disconnect()


def webchat(origins=(ORIGIN,)) -> WebChatInput:
    channel = WebChatInput.from_credentials({"metadata_key": "customData"})
    channel.origins = lambda: list(origins)
    return channel


def test_tokens_are_signed_and_name_a_web_conversation():
    token = issue_token()
    assert len(token) == 64 and conversation_of(token) == f"web:{token[:32]}"
    assert issue_token() != token
    forged = token[:32] + ("0" * 32 if token[32:] != "0" * 32 else "1" * 32)
    for stranger in (
        forged,
        "4242",
        "tg:4242",
        "fb:PSID",
        "rest:app",
        token[:32],
        token.upper(),
        None,
        12345,
        {"x": 1},
        "z" * 64,
    ):
        assert conversation_of(stranger) is None, stranger


@pytest.mark.parametrize(
    "claimed",
    [
        "4242",
        "tg:4242",
        "fb:PSID42",
        "rest:app-user",
        "web:0123456789abcdef0123456789abcdef",
        None,
        "",
    ],
)
@async_test
async def test_a_visitor_cannot_choose_a_conversation(claimed):
    """Whatever id a visitor claims — a Telegram chat id, another channel's conversation id,
    a made-up one — the server confirms a fresh token of its own."""
    collector = Collector()
    async with serve_channel(webchat(), collector) as url:
        visitor = Visitor(url)
        token = await visitor.connect(claimed)
        assert token != claimed and conversation_of(token) is not None
        await visitor.say("আমার অর্ডার কোথায়?", session_id=claimed)
        await wait_until(lambda: collector.messages)
        assert collector.messages[0].sender_id == conversation_of(token)
        assert collector.messages[0].input_channel == "socketio"
        await visitor.close()


@async_test
async def test_a_reload_or_a_dropped_socket_resumes_the_same_conversation():
    collector = Collector(reply=echo)
    async with serve_channel(webchat(), collector) as url:
        first = Visitor(url)
        token = await first.connect()
        await first.close()
        again = Visitor(url)
        assert await again.connect(token) == token  # the server's own token is kept
        await again.say("hello")
        await wait_until(lambda: again.replies)
        assert again.replies[0]["text"] == "echo: hello"
        assert collector.messages[0].sender_id == f"web:{token[:32]}"
        await again.close()


@async_test
async def test_a_socket_speaks_for_its_own_conversation_only():
    """The session_id inside a message is ignored: a socket bound to one conversation cannot
    post into another by naming it."""
    collector = Collector(reply=echo)
    async with serve_channel(webchat(), collector) as url:
        victim, stranger = Visitor(url), Visitor(url)
        victim_token = await victim.connect()
        stranger_token = await stranger.connect()
        await stranger.say("/order_status", session_id=victim_token)
        await wait_until(lambda: collector.messages)
        assert collector.messages[0].sender_id == conversation_of(stranger_token)
        await asyncio.sleep(0.3)
        assert victim.replies == []  # nothing reached the victim's socket
        await victim.close()
        await stranger.close()


@async_test
async def test_other_origins_are_refused_and_apps_without_one_are_served():
    async with serve_channel(webchat(), Collector()) as url:
        evil = Visitor(url, headers={"Origin": "https://evil.example"})
        with pytest.raises(socketio.exceptions.ConnectionError):
            await evil.connect()
        shop = Visitor(url, headers={"Origin": ORIGIN})
        assert conversation_of(await shop.connect()) is not None
        await shop.close()
        app = Visitor(url)  # no Origin header: not a browser
        assert conversation_of(await app.connect()) is not None
        await app.close()


@async_test
async def test_only_the_page_language_is_kept_and_non_text_gets_a_polite_reply():
    collector = Collector()
    async with serve_channel(webchat(), collector) as url:
        visitor = Visitor(url)
        await visitor.connect()
        await visitor.say(["not", "text"])
        await visitor.say({"text": "x"})
        await visitor.say(None)
        await visitor.say(10456)  # a number is what the customer typed
        await visitor.say(
            "hello",
            meta={
                "language": "en",
                "session_id": "tg:1",
                "verified_order": "10456",
                "blob": "x" * 10_000,
            },
        )
        await wait_until(lambda: len(collector.messages) == 2 and len(visitor.replies) == 3)
        assert [m.text for m in collector.messages] == ["10456", "hello"]
        assert collector.messages[1].metadata == {"language": "en"}
        assert [r["text"] for r in visitor.replies] == [TEXT_ONLY_REPLY] * 3
        await visitor.close()


def test_page_metadata():
    assert page_metadata({"language": "bn"}) == {"language": "bn"}
    for junk in ({"language": "fr"}, '{"language": "en"}', None, [], {"x": 1}):
        assert page_metadata(junk) == {}


def test_a_closed_websocket_logs_no_server_error(caplog):
    """engineio's handler returns nothing once a websocket it upgraded closes; Sanic took
    that for a missing response and logged 'Invalid response type None' with a traceback
    for every visitor who left (sanic#2572). A visitor leaving is not an error."""

    @async_test
    async def visit_and_leave() -> None:
        async with serve_channel(webchat(), Collector(reply=echo)) as url:
            visitor = Visitor(url)
            await visitor.connect()
            await visitor.say("hello")
            await wait_until(lambda: visitor.replies)
            await visitor.close()
            await asyncio.sleep(0.5)  # the server's handler returns after the close

    with caplog.at_level("ERROR"):
        visit_and_leave()
    # caplog.text has the tracebacks too: Sanic's record only says "Exception occurred
    # while handling uri", the ServerError's message is in its traceback.
    assert "Invalid response type" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@async_test
async def test_long_polling_still_gets_its_http_responses():
    """The websocket mark on engineio's handler leaves HTTP answers alone: the polling
    handshake (one process, no Redis) is still a 200 with engine.io's open packet."""
    async with serve_channel(webchat(), Collector()) as url:
        base = url.split("/webhooks/")[0]
        resp = await get(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert resp.status == 200
        assert (await resp.text()).startswith('0{"sid":')


def test_with_redis_a_process_subscribes_before_its_first_visitor(redis, monkeypatch):
    """Redis keeps nothing for a subscriber that is not there yet: the server subscribes
    before serving, not at the first connection as python-socketio would (tests/e2e/
    test_workers.py has the two-worker case)."""
    import redis as redis_client

    from channels.webchat import REDIS_URL_ENV, listen_before_serving

    monkeypatch.setenv(REDIS_URL_ENV, f"redis://127.0.0.1:{redis.port}/0")
    client = redis_client.Redis(port=redis.port)

    @async_test
    async def start() -> None:
        async with serve_channel(webchat(), Collector()):
            # The listener ran as the server started: subscribed, before anyone connected.
            assert client.pubsub_numsub("seba-webchat")[0][1] == 1

    start()

    @async_test
    async def without_redis() -> None:  # one process, no client manager to start
        assert await listen_before_serving(socketio.AsyncServer(async_mode="asgi")) is False

    without_redis()
