"""The far side of Telegram's Bot API for the soak: ``tests.channels.fakes.FakeTelegram``
that tells the waiting customer about every message the bot sends to its chat.

It runs on its own thread (``start_in_thread``); each ``sendMessage`` is handed to the
customers' event loop as ``(chat_id, text, message)``, where ``message`` is what the fake
answered (its ``message_id``) plus the buttons (``reply_markup``) the bot attached. The
fake's call log is trimmed so a long soak does not grow it without bound.
"""

import asyncio
from typing import Any, Callable, Dict, Optional

from tests.channels.fakes import FakeTelegram

KEEP_CALLS = 2_000


class NotifyingTelegram(FakeTelegram):
    def __init__(self) -> None:
        super().__init__(token="424242:SOAK-token", username="SebaSoakBot")
        self._customers_loop: Optional[asyncio.AbstractEventLoop] = None
        self._listener: Optional[Callable[[str, str, Dict[str, Any]], None]] = None
        self.sent_messages = 0

    def listen(
        self, loop: asyncio.AbstractEventLoop, listener: Callable[[str, str, Dict[str, Any]], None]
    ) -> None:
        self._customers_loop, self._listener = loop, listener

    def _result(self, method: str, params: Dict[str, Any]) -> Any:
        result = super()._result(method, params)
        if len(self.calls) > KEEP_CALLS:
            del self.calls[: len(self.calls) - KEEP_CALLS // 2]
        if method == "sendMessage" and self._listener is not None:
            self.sent_messages += 1
            message = {**result, "reply_markup": params.get("reply_markup")}
            self._customers_loop.call_soon_threadsafe(
                self._listener, str(params.get("chat_id")), params.get("text", ""), message
            )
        return result
