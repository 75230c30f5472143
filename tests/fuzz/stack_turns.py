"""One customer turn against the real stack, on each channel, and what came of it.

A turn is finished when Rasa's tracker holds the new user message and the bot listens
again; a message that never reaches Rasa (the connector dropped it) shows as a tracker
without it after ``DROPPED_AFTER`` seconds. ``Turn.replies`` is what the customer received
(REST response, ``bot_uttered``, the fake Bot API's ``sendMessage``, the fake Graph API's
sends); ``Turn.paused`` says the conversation is with the agents (then the bot may be quiet).

A "normal answer" (``assert_normal``) is at least one reply that is not the bot's apology
for a technical problem (domain.yml ``utter_technical_problem``).
"""

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from channels.telegram import SECRET_HEADER
from tests.channels.helpers import fb_body, fb_sign
from tests.e2e.handoff_stack import FACEBOOK, TELEGRAM_SECRET, WebCustomer, logs
from tests.fuzz.strategies import HELLOS
from tests.servers import REST_HEADERS, http

DROPPED_AFTER = 20  # seconds without the message in the tracker: it never reached Rasa
TURN_TIMEOUT = 180
APOLOGIES = ("দুঃখিত, এই মুহূর্তে আমাদের সিস্টেমে", "Sorry, our system is having a problem")

_ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def fresh_id() -> int:
    """A chat id / sender number no earlier example or run used."""
    return next(_ids)


@dataclass
class Turn:
    conversation_id: str
    replies: List[str] = field(default_factory=list)
    paused: bool = False
    reached_rasa: bool = False
    bot_events: int = 0


def _user_events(tracker: Dict[str, Any]) -> int:
    return sum(1 for e in tracker.get("events") or [] if e.get("event") == "user")


def _bot_events_after_last_user(tracker: Dict[str, Any]) -> int:
    count = 0
    for event in tracker.get("events") or []:
        if event.get("event") == "user":
            count = 0
        elif event.get("event") == "bot":
            count += 1
    return count


class StackChannel:
    """Turns over one channel of the fuzz stack (``tests/fuzz/conftest.py``)."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.rasa = stack.rasa

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        return self.rasa.tracker(conversation_id)

    def wait_turn(self, conversation_id: str, users_before: int) -> Turn:
        start = time.monotonic()
        while True:
            tracker = self.tracker(conversation_id)
            users = _user_events(tracker)
            done = users > users_before and tracker.get("latest_action_name") == "action_listen"
            dropped = users == users_before and time.monotonic() - start > DROPPED_AFTER
            if done or dropped or bool(tracker.get("paused")) and users > users_before:
                return Turn(
                    conversation_id,
                    paused=bool(tracker.get("paused")),
                    reached_rasa=users > users_before,
                    bot_events=_bot_events_after_last_user(tracker) if done else 0,
                )
            if time.monotonic() - start > TURN_TIMEOUT:
                raise AssertionError(
                    f"Rasa did not finish the turn of {conversation_id}: "
                    f"{tracker.get('latest_action_name')}\n{logs(self.stack)}"
                )
            time.sleep(0.2)

    def assert_normal(self, turn: Turn) -> None:
        assert turn.replies, f"no answer: {turn}\n{logs(self.stack, 20)}"
        assert not any(text.startswith(APOLOGIES) for text in turn.replies), (
            f"the bot apologised for a technical problem: {turn}\n{logs(self.stack, 40)}"
        )

    def received_by_customer(self, turn: Turn, texts_since: Any, timeout: float = 60) -> None:
        """Wait until the customer has the replies the tracker says were sent (at least one)."""
        deadline = time.monotonic() + timeout
        while True:
            turn.replies = texts_since()
            if turn.replies or not turn.bot_events or time.monotonic() > deadline:
                return
            time.sleep(0.1)


class TelegramChats(StackChannel):
    def __init__(self, stack: Any, api: Any) -> None:
        super().__init__(stack)
        self.api = api
        self._message_ids = itertools.count(fresh_id())

    def post(self, update: Dict[str, Any]) -> int:
        status, body = http(
            "POST",
            f"{self.rasa.url}/webhooks/telegram/webhook",
            update,
            {SECRET_HEADER: TELEGRAM_SECRET},
        )
        assert status < 500, (status, body)
        return status

    def say(self, chat_id: int, text: str) -> Turn:
        conversation = f"tg:{chat_id}"
        users_before = _user_events(self.tracker(conversation))
        before = len(self.api.texts(chat_id))
        status = self.post(
            {
                "update_id": fresh_id(),
                "message": {
                    "message_id": next(self._message_ids),
                    "date": int(time.time()),
                    "text": text,
                    "chat": {"id": chat_id, "type": "private", "first_name": "Fuzz"},
                    "from": {
                        "id": chat_id,
                        "is_bot": False,
                        "first_name": "Fuzz",
                        "language_code": "bn",
                    },
                },
            }
        )
        assert status == 200, status
        turn = self.wait_turn(conversation, users_before)
        self.received_by_customer(turn, lambda: self.api.texts(chat_id)[before:])
        return turn

    def assert_answers_hello(self, chat_id: int) -> None:
        self.assert_normal(self.say(chat_id, HELLOS[0]))


class MessengerChats(StackChannel):
    def __init__(self, stack: Any, api: Any) -> None:
        super().__init__(stack)
        self.api = api

    def post(self, payload: Any) -> int:
        body = payload if isinstance(payload, bytes) else fb_body(payload)
        status, answer = http(
            "POST",
            f"{self.rasa.url}/webhooks/facebook/webhook",
            body,
            fb_sign(FACEBOOK["secret"], body, sha1=False),
        )
        assert status < 500, (status, answer)
        return status

    def send(self, psid: str, payload: Any) -> Turn:
        conversation = f"fb:{psid}"
        users_before = _user_events(self.tracker(conversation))
        before = len(self.api.texts(psid))
        assert self.post(payload) == 200
        turn = self.wait_turn(conversation, users_before)
        self.received_by_customer(turn, lambda: self.api.texts(psid)[before:])
        return turn

    def say(self, psid: str, text: str) -> Turn:
        return self.send(
            psid,
            {
                "object": "page",
                "entry": [
                    {
                        "id": "PAGE1",
                        "time": 1,
                        "messaging": [
                            {
                                "sender": {"id": psid},
                                "recipient": {"id": "PAGE1"},
                                "timestamp": 1,
                                "message": {"mid": uuid.uuid4().hex, "text": text},
                            }
                        ],
                    }
                ],
            },
        )

    def assert_answers_hello(self, psid: str) -> None:
        self.assert_normal(self.say(psid, HELLOS[1]))


class RestCustomers(StackChannel):
    def say(self, sender: str, text: str) -> Turn:
        status, body = http(
            "POST",
            f"{self.rasa.url}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            REST_HEADERS,
        )
        assert status == 200, (status, body)
        assert isinstance(body, list), body
        tracker = self.tracker(f"rest:{sender}")
        replies = [m.get("text") or str(m) for m in body]
        return Turn(f"rest:{sender}", replies, bool(tracker.get("paused")), True, len(body))

    def assert_answers_hello(self, sender: str) -> None:
        self.assert_normal(self.say(sender, HELLOS[0]))


class WebVisitors(StackChannel):
    """A visitor on the web bubble: ``WebCustomer`` (socket.io) with a server-issued token."""

    def connect(self, session_id: Optional[str] = None) -> WebCustomer:
        return WebCustomer(self.rasa.url, session_id=session_id).connect()

    def emit(self, visitor: WebCustomer, event: str, data: Any) -> None:
        visitor._run(visitor.sio.emit(event, data))

    def say(self, visitor: WebCustomer, text: Any) -> Turn:
        conversation = visitor.conversation_id
        users_before = _user_events(self.tracker(conversation))
        since = visitor.say(text)
        turn = self.wait_turn(conversation, users_before)
        self.received_by_customer(turn, lambda: visitor.texts(since))
        return turn

    def assert_answers_hello(self, visitor: WebCustomer) -> None:
        self.assert_normal(self.say(visitor, HELLOS[0]))
