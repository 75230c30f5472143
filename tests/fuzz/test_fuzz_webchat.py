"""Fuzzing the web chat's socket.io channel with a real python-socketio client.

Connector level: ``channels.webchat.WebChatInput`` on a real Sanic server, a stub Rasa that
echoes every message. Stack level: the real Rasa and action servers.

For every generated sequence of emits on a fresh socket: every text message (a visible
character) gets its ``bot_uttered``; every ``session_confirm`` carries a token the server
issued, and a reload's token is confirmed again; every message reaches Rasa under the
conversation of a token confirmed to this socket, whatever ids the client claims; the
channel stays up; and afterwards "হ্যালো" on the same socket is answered.
"""

import asyncio
from collections import Counter
from typing import Any, List

import pytest
import socketio
from hypothesis import given, settings

from channels.webchat import WebChatInput, conversation_of
from tests.fuzz import stats
from tests.fuzz.harness import ConnectorServer
from tests.fuzz.profiles import connector_examples, stack_examples
from tests.fuzz.strategies import HELLOS, visible_customer_texts
from tests.fuzz.webchat_events import Emit, sequences

WAIT = 15  # seconds for an expected event


@pytest.fixture(scope="module")
def webchat():
    def make() -> WebChatInput:
        channel = WebChatInput.from_credentials({"metadata_key": "customData"})
        channel.origins = lambda: ["https://shop.example"]
        return channel

    server = ConnectorServer(make)
    server.base = server.url.split("/webhooks/")[0]
    yield server
    server.close()


def echo_of(text: str) -> str:
    """The first bot_uttered of the stub's answer: Rasa strips the message (``UserMessage``),
    the stub says "echo: <text>", the channel splits it at blank lines."""
    return f"echo: {text.strip()}".strip().split("\n\n")[0]


async def until(predicate, what: str) -> None:
    for _ in range(WAIT * 50):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Socket:
    """One browser tab: what it was confirmed and what it received."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: List[Any] = []
        self.received: List[Any] = []
        self.sio.on("session_confirm", self.confirmed.append)
        self.sio.on("bot_uttered", self.received.append)

    def texts(self) -> List[str]:
        return [m.get("text") for m in self.received if isinstance(m, dict)]

    async def emit(self, emit: Emit) -> None:
        data = emit.data
        if emit.reuse_token:  # a reload: ask for the token this socket was given
            if not self.confirmed:
                await self.sio.emit("session_request", {"session_id": None})
                await until(lambda: self.confirmed, "a first session_confirm")
            token, seen = self.confirmed[0], len(self.confirmed)
            await self.sio.emit("session_request", {"session_id": token})
            await until(lambda: len(self.confirmed) > seen, "the reload's session_confirm")
            assert token in self.confirmed[seen:], "a reload did not keep its session"
            return
        await self.sio.emit(emit.event, data)


async def run_sequence(server: ConnectorServer, sequence: List[Emit]) -> None:
    socket = Socket()
    await socket.sio.connect(server.base, socketio_path="/socket.io", transports=["websocket"])
    try:
        for emit in sequence:
            await socket.emit(emit)
        wanted = Counter(echo_of(e.text) for e in sequence if e.must_reply)
        await until(
            lambda: not wanted - Counter(socket.texts()),
            f"replies to every text message: wanted {wanted}, got {socket.texts()}",
        )
        await socket.sio.emit("user_uttered", {"message": HELLOS[0]})
        await until(
            lambda: echo_of(HELLOS[0]) in socket.texts(), "an answer to হ্যালো: the socket is stuck"
        )
        conversations = {conversation_of(token) for token in socket.confirmed}
        assert None not in conversations, f"a token the server did not issue: {socket.confirmed}"
        senders = {m.sender_id for m in server.collector.messages}
        assert senders <= conversations, (senders, conversations)
    finally:
        await socket.sio.disconnect()


@settings(max_examples=connector_examples(1.0))
@given(sequence=sequences())
@stats.checked
def test_any_sequence_of_emits_keeps_the_socket_answering(webchat, sequence):
    webchat.forget()
    webchat.loop.run(run_sequence(webchat, sequence), timeout=120)
    stats.note(f"{sum(e.must_reply for e in sequence)} text messages answered")
    assert webchat.healthy(), "the channel's health check failed"


# --- the real stack -------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=stack_examples())
@given(text=visible_customer_texts, first=sequences(max_size=2))
@stats.checked
def test_on_the_real_stack_text_messages_get_a_reply(stack_web, text, first):
    visitors = stack_web
    visitor = visitors.connect()
    try:
        for emit in first:  # odd data and other events first (nothing that reaches Rasa)
            if not emit.reaches_rasa and emit.event != "session_request":
                visitors.emit(visitor, emit.event, emit.data)
        turn = visitors.say(visitor, text)
        stats.note("paused" if turn.paused else "reply" if turn.replies else "no reply")
        assert turn.replies or turn.paused, f"no reply on the real stack: {turn}"
        if not turn.paused:
            visitors.assert_answers_hello(visitor)
    finally:
        visitor.close()
