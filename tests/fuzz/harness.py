"""Servers for the connector-level fuzz tests, kept running across Hypothesis examples.

A Hypothesis test is a plain function called once per example, so the servers live on an
event loop in a background thread (``BackgroundLoop``) for the whole module: the connector's
blueprint on a real Sanic server (``tests.channels.helpers.serve_channel``) with a stub in
place of Rasa that answers every message (``echo``), and the fake far sides of Telegram's
and Meta's APIs (``tests.channels.fakes``). Examples talk to them over real HTTP. Telegram
and Messenger store every update in the shop database first (``channels/intake.py``): their
fixtures run on the module's demo database (``shop_db_module``).
"""

import asyncio
import threading
from contextlib import AsyncExitStack
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import InputChannel

from tests.channels.helpers import Collector, echo, serve_channel
from tests.servers import http

REQUEST_TIMEOUT = 60


class BackgroundLoop:
    """An asyncio loop in a daemon thread; ``run(coroutine)`` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Awaitable[Any], timeout: float = REQUEST_TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class ConnectorServer:
    """One input channel on a real Sanic server with a stub Rasa (``reply``), plus fakes."""

    def __init__(
        self,
        make_channel: Callable[..., InputChannel],
        *fakes: Any,
        reply: Optional[Callable] = echo,
    ) -> None:
        self.loop = BackgroundLoop()
        self.fakes = fakes
        self.collector = Collector(reply)
        self._exits = AsyncExitStack()

        async def up() -> Tuple[InputChannel, str]:
            for fake in fakes:
                await self._exits.enter_async_context(fake)
            channel = make_channel(*fakes)
            url = await self._exits.enter_async_context(serve_channel(channel, self.collector))
            return channel, url

        self.channel, self.url = self.loop.run(up())

    def post(
        self, path: str, body: Any, headers: Optional[Dict[str, str]] = None
    ) -> Tuple[int, Any]:
        """POST to ``/webhooks/<channel><path>``: (status, parsed JSON or text)."""
        return http("POST", self.url + path, body, headers, timeout=REQUEST_TIMEOUT)

    def healthy(self) -> bool:
        status, _ = http("GET", self.url + "/", timeout=REQUEST_TIMEOUT)
        return status == 200

    def settle(self, timeout: float = 30) -> None:
        """Wait until the connector's background work (stored updates, Rasa turns, replies)
        is done: its durable intake (Telegram, Messenger) or its task queue."""
        work = getattr(self.channel, "intake", None) or getattr(self.channel, "tasks", None)
        if work is not None:
            assert self.loop.run(work.join(timeout), timeout + 5), (
                "the connector's message handling did not finish"
            )

    def forget(self) -> None:
        """Drop what the stub and the fakes recorded so far (between examples)."""
        self.collector.messages.clear()
        for fake in self.fakes:
            fake.calls.clear()

    def close(self) -> None:
        try:
            self.loop.run(self._exits.aclose())
        finally:
            self.loop.close()
