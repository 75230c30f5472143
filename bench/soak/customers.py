"""The soak's customers: scripted conversations over socket.io and Telegram, at once.

Each customer holds one conversation at a time (``bench.scripts``: order status with real
order/phone pairs, FAQs, returns, product questions, small talk, in Bangla, English and
Banglish) and types the next message a few seconds (``think``) after the bot's first reply to
the previous one. A button in a script (``/inform{...}``) is pressed as the customer's app
does it: on socket.io the payload is sent, on Telegram the matching inline-keyboard button of
the bot's latest message is pressed (a ``callback_query``).

- socket.io: a python-socketio client per customer; every conversation starts with
  ``session_request`` ``{"session_id": null}`` and uses the token ``session_confirm`` gives;
- Telegram: updates POSTed to the webhook with the real secret header; the replies are what
  the bot sends to the chat at the fake Bot API (``NotifyingTelegram``).

A turn is over when Rasa's tracker shows the bot listening again after the message (all of
its messages were sent by then); only then, and after the think time, comes the next message,
so every bot message is counted for the message it answers. Per turn: the time to the first
reply (``latency``), or ``lost`` after ``turn_timeout``; every bot message the tracker holds
for it must have reached the customer. Errors: a webhook that did not answer 200, a lost
reply, a turn that never ended, a message without a bot message in the tracker, a bot message
that did not reach the customer, the bot's apology for a technical problem, a message that
arrived after its turn was over, a socket that could not connect. A customer starts no new
turn after ``duration``; the turns in flight are finished.
"""

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import aiohttp

from bench.procs import api_headers
from bench.scripts import Conversation
from channels.telegram import SECRET_HEADER, CallbackPayloads

APOLOGIES = ("দুঃখিত, এই মুহূর্তে আমাদের সিস্টেমে", "Sorry, our system is having a problem")


@dataclass
class Results:
    turns: List[Tuple[str, float, Optional[float], str]] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    error_samples: List[str] = field(default_factory=list)
    conversations: Counter = field(default_factory=Counter)  # (channel, started/completed/cut)
    notes: Counter = field(default_factory=Counter)

    def turn(
        self, channel: str, sent_at: float, latency: Optional[float], status: str, detail: str = ""
    ) -> None:
        self.turns.append((channel, sent_at, latency, status))
        if status != "ok":
            self.error(channel, status, detail)

    def error(self, channel: str, kind: str, detail: str) -> None:
        self.errors[(channel, kind)] += 1
        if len(self.error_samples) < 40:
            self.error_samples.append(f"{channel} {kind}: {detail}"[:300])


@dataclass
class LoadSpec:
    rasa_url: str
    telegram_secret: str
    conversations: List[Conversation]
    socketio_customers: int = 100
    telegram_customers: int = 100
    duration: float = 600.0
    think: Tuple[float, float] = (2.0, 6.0)
    turn_timeout: float = 120.0
    ramp: float = 60.0
    seed: int = 1


class Load:
    def __init__(self, spec: LoadSpec, telegram: Any) -> None:
        self.spec, self.telegram = spec, telegram
        self.results = Results()
        self.inboxes: Dict[str, asyncio.Queue] = {}
        self.keyboards: Dict[str, Dict[str, Any]] = {}  # chat -> the latest message with buttons
        self.payloads = CallbackPayloads()
        self.t0 = self.deadline = 0.0
        self.http: Optional[aiohttp.ClientSession] = None

    # -- shared ------------------------------------------------------------------------

    def on_telegram_message(self, chat: str, text: str, message: Dict[str, Any]) -> None:
        if message.get("reply_markup"):
            self.keyboards[chat] = message
        inbox = self.inboxes.get(chat)
        if inbox is not None:
            inbox.put_nowait((text, time.monotonic()))

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline

    async def turn(
        self,
        channel: str,
        conversation_id: str,
        number: int,
        inbox: asyncio.Queue,
        send,
        rng: random.Random,
    ) -> None:
        """The conversation's ``number``-th message and everything the bot says to it."""
        if not inbox.empty():  # nothing may be left over from the previous turn
            self.results.error(channel, "message after its turn was over", conversation_id)
            while not inbox.empty():
                inbox.get_nowait()
        sent = time.monotonic()
        try:
            await send()
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the customer goes on
            self.results.turn(
                channel,
                sent - self.t0,
                None,
                "send failed",
                f"{conversation_id}: {type(exc).__name__}: {exc}",
            )
            return
        try:
            first, first_at = await asyncio.wait_for(inbox.get(), self.spec.turn_timeout)
        except asyncio.TimeoutError:
            self.results.turn(channel, sent - self.t0, None, "lost", conversation_id)
            return
        received = [first]
        await asyncio.sleep(rng.uniform(*self.spec.think))  # reads, types the next message
        bot_events = await self.turn_over(channel, conversation_id, number)
        give_up = time.monotonic() + 30
        while bot_events is not None and len(received) < bot_events:
            try:  # every message Rasa sent must reach the customer
                text, _ = await asyncio.wait_for(inbox.get(), max(give_up - time.monotonic(), 0))
                received.append(text)
            except asyncio.TimeoutError:
                break
        while not inbox.empty():
            received.append(inbox.get_nowait()[0])
        if bot_events is None:
            status = "turn never over"
        elif bot_events == 0:
            status = "unanswered in the tracker"
        elif len(received) < bot_events:
            status = "bot message not delivered"
        elif any(str(text).startswith(APOLOGIES) for text in received):
            status = "apology"
        else:
            status = "ok"
        self.results.turn(
            channel,
            sent - self.t0,
            first_at - sent,
            status,
            f"{conversation_id} message {number}: {len(received)} received, "
            f"{bot_events} in the tracker",
        )

    async def turn_over(self, channel: str, conversation_id: str, number: int) -> Optional[int]:
        """Wait until Rasa listens again after the ``number``-th user message; the bot
        messages it recorded for it (all sent by then), or None if the turn never ended."""
        url = f"{self.spec.rasa_url}/conversations/{conversation_id}/tracker"
        give_up = time.monotonic() + self.spec.turn_timeout
        while time.monotonic() < give_up:
            try:
                async with self.http.get(url, headers=api_headers()) as resp:
                    tracker = await resp.json()
            except Exception as exc:  # noqa: BLE001
                self.results.error(channel, "tracker unreadable", f"{type(exc).__name__}: {exc}")
                tracker = {}
            users = bots = 0
            for event in tracker.get("events") or []:
                if event.get("event") == "user":
                    users += 1
                elif event.get("event") == "bot" and users == number:
                    bots += 1
            if users >= number and tracker.get("latest_action_name") == "action_listen":
                return bots
            await asyncio.sleep(0.5)
        return None

    def conversations(self, cid: int):
        convs = self.spec.conversations
        k = cid
        while self.time_left():
            yield k, convs[k % len(convs)]
            k += 7  # neighbours in the rotation differ in kind and language

    # -- Telegram ------------------------------------------------------------------------

    def _update(self, chat_id: int, text: str, serial: int) -> Dict[str, Any]:
        person = {"id": chat_id, "is_bot": False, "first_name": "Soak", "language_code": "bn"}
        chat = {"id": chat_id, "type": "private", "first_name": "Soak"}
        update_id = chat_id * 100 + serial
        if not text.startswith("/"):
            return {
                "update_id": update_id,
                "message": {
                    "message_id": serial,
                    "date": int(time.time()),
                    "chat": chat,
                    "from": person,
                    "text": text,
                },
            }
        shown = self.keyboards.get(str(chat_id)) or {}
        keys = [
            k
            for row in (shown.get("reply_markup") or {}).get("inline_keyboard", [])
            for k in row
            if "callback_data" in k
        ]
        wanted = self.payloads.to_callback_data(text)
        pressed = next((k for k in keys if k["callback_data"] == wanted), None)
        if pressed is None:
            self.results.notes["telegram: button not offered, the first one pressed"] += 1
            pressed = keys[0] if keys else {"callback_data": wanted, "text": text}
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cb{update_id}",
                "from": person,
                "chat_instance": "soak",
                "data": pressed["callback_data"],
                "message": {
                    "message_id": shown.get("message_id", 1),
                    "date": int(time.time()),
                    "chat": chat,
                    "text": shown.get("text", ""),
                    "reply_markup": shown.get("reply_markup"),
                },
            },
        }

    async def telegram_customer(self, cid: int) -> None:
        rng = random.Random(self.spec.seed * 100_003 + cid)
        url = f"{self.spec.rasa_url}/webhooks/telegram/webhook"
        headers = {SECRET_HEADER: self.spec.telegram_secret}
        for n, (_, conv) in enumerate(self.conversations(cid)):
            chat_id = 700_000_000 + cid * 10_000 + n
            inbox = self.inboxes[str(chat_id)] = asyncio.Queue()
            self.results.conversations[("telegram", "started")] += 1
            for serial, text in enumerate(conv.turns, start=1):
                if not self.time_left():
                    self.results.conversations[("telegram", "cut at the end")] += 1
                    break

                async def send(
                    text: str = text, serial: int = serial, chat_id: int = chat_id
                ) -> None:
                    update = self._update(chat_id, text, serial)  # the buttons shown now
                    async with self.http.post(url, json=update, headers=headers) as resp:
                        if resp.status != 200:
                            raise RuntimeError(f"webhook answered {resp.status}")

                await self.turn("telegram", f"tg:{chat_id}", serial, inbox, send, rng)
            else:
                self.results.conversations[("telegram", "completed")] += 1
            del self.inboxes[str(chat_id)]
            self.keyboards.pop(str(chat_id), None)

    # -- socket.io -----------------------------------------------------------------------

    async def socketio_customer(self, cid: int) -> None:
        import socketio

        rng = random.Random(self.spec.seed * 200_003 + cid)
        inbox: asyncio.Queue = asyncio.Queue()
        confirmed: asyncio.Queue = asyncio.Queue()
        sio = socketio.AsyncClient(reconnection=False)
        sio.on(
            "bot_uttered",
            lambda data: inbox.put_nowait(((data or {}).get("text", ""), time.monotonic())),
        )
        sio.on("session_confirm", confirmed.put_nowait)
        try:
            for _, conv in self.conversations(cid):
                if not sio.connected:
                    try:
                        await sio.connect(
                            self.spec.rasa_url,
                            transports=["websocket"],
                            socketio_path="socket.io",
                            wait_timeout=30,
                        )
                    except Exception as exc:  # noqa: BLE001
                        self.results.error("socketio", "connect failed", repr(exc))
                        await asyncio.sleep(5)
                        continue
                await sio.emit("session_request", {"session_id": None})
                try:
                    token = await asyncio.wait_for(confirmed.get(), self.spec.turn_timeout)
                except asyncio.TimeoutError:
                    self.results.error("socketio", "no session_confirm", "")
                    continue
                token = token.get("session_id") if isinstance(token, dict) else token
                self.results.conversations[("socketio", "started")] += 1
                language = "en" if conv.variety == "en" else "bn"
                for number, text in enumerate(conv.turns, start=1):
                    if not self.time_left():
                        self.results.conversations[("socketio", "cut at the end")] += 1
                        break

                    async def send(
                        text: str = text, token: str = token, language: str = language
                    ) -> None:
                        await sio.emit(
                            "user_uttered",
                            {
                                "message": text,
                                "session_id": token,
                                "customData": {"language": language},
                            },
                        )

                    await self.turn("socketio", f"web:{token[:32]}", number, inbox, send, rng)
                else:
                    self.results.conversations[("socketio", "completed")] += 1
        finally:
            try:
                await sio.disconnect()
            except Exception:  # noqa: BLE001 - already gone
                pass

    # -- the run -------------------------------------------------------------------------

    async def run(self) -> Results:
        spec = self.spec
        self.telegram.listen(asyncio.get_running_loop(), self.on_telegram_message)
        self.t0 = time.monotonic()
        self.deadline = self.t0 + spec.duration
        customers = [self.socketio_customer] * spec.socketio_customers + [
            self.telegram_customer
        ] * spec.telegram_customers
        timeout = aiohttp.ClientTimeout(total=spec.turn_timeout)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            self.http = http

            async def start(i: int, customer) -> None:
                await asyncio.sleep(spec.ramp * i / max(len(customers), 1))
                await customer(i)

            tasks = [asyncio.ensure_future(start(i, c)) for i, c in enumerate(customers)]
            hard_limit = spec.duration + spec.ramp + 4 * spec.turn_timeout + 120
            done, pending = await asyncio.wait(tasks, timeout=hard_limit)
            for task in pending:
                task.cancel()
                self.results.error("any", "customer cancelled at the hard time limit", "")
            for task in done:
                if task.exception() is not None:
                    self.results.error("any", "customer crashed", repr(task.exception()))
        return self.results
