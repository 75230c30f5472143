"""The reply language follows the customer, on every channel, through every form (issue 12).

One real stack for the module (action server + Rasa with the web bubble, REST, Telegram and
Messenger connectors; Telegram's Bot API and Meta's Graph API are fakes at the HTTP
boundary). Each channel reports a language the customer does not write in — the page's
(bn or en), the Telegram app's ``language_code`` (bn or en) — or none (Messenger, REST:
Bangla by default); the customer writes one decisive message in the other language and then
numbers, phones and button presses, which decide nothing. Every reply of every turn must be
in the customer's language: order status and rating, cancellation, return, refund,
verification retries (with numbers that are not ours), hand-over, fallback, and a customer
who switches language mid-conversation.

Messages are ones the current model understands (no long number inside a question: that
needs the NLU change of issue 12).
"""

import json
import random
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import pytest
import yaml
from sqlalchemy import select

from channels.telegram import SECRET_HEADER
from seba import PROJECT_ROOT, shop
from seba.db import session_scope
from seba.db.models import Order
from seba.settings import load_settings
from seba.text import to_bengali_digits
from tests.channels.conftest import (
    CREDENTIALS,
    FACEBOOK,
    TELEGRAM_SECRET,
    logs,
    wait_for_turn,
)
from tests.channels.helpers import (
    channel_env,
    fb_body,
    fb_event,
    fb_payload,
    fb_sign,
    tg_message,
    tg_update,
    tg_user,
)
from tests.servers import http

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

Reply = Tuple[str, List[Dict[str, str]]]  # text, buttons ({"title", "payload"})


@dataclass
class Click:
    """Press button ``index`` of the bot's latest message that has buttons."""

    index: int


@dataclass
class Step:
    say: Union[str, Click]
    expect: str = ""  # a substring of the turn's replies
    lang: Optional[str] = None  # the turn's reply language; None: the flow's


# {cancel_number} ... are filled per channel (distinct orders: the database is shared).
FLOWS: Dict[str, Dict[str, List[Step]]] = {
    "status-and-rating": {
        "en": [
            Step("Where is my order?"),
            Step("10456"),
            Step("01711000001", "PTH123456"),
            Step("thanks"),
            Step(Click(4)),
        ],
        "bn": [
            Step("আমার অর্ডারটা কোথায় আছে?"),
            Step("১০৪৫৬"),
            Step("০১৭১১০০০০০১", "PTH123456"),
            Step("ধন্যবাদ"),
            Step(Click(4)),
        ],
    },
    "cancellation": {
        "en": [
            Step("I want to cancel my order"),
            Step("{cancel_number}"),
            Step("{cancel_phone}", "{cancel_number}"),
            Step(Click(0), "{cancel_number}"),
        ],
        "bn": [
            Step("আমি অর্ডারটা বাতিল করতে চাই"),
            Step("{cancel_number}"),
            Step("{cancel_phone}", "{cancel_number}"),
            Step(Click(0), "{cancel_number}"),
        ],
    },
    "return": {
        "en": [
            Step("I want to return a product"),
            Step("{return_number}"),
            Step("{return_phone}"),
            Step(Click(1), "RT-"),
        ],
        "bn": [
            Step("আমি একটা পণ্য ফেরত দিতে চাই"),
            Step("{return_number}"),
            Step("{return_phone}"),
            Step(Click(1), "RT-"),
        ],
    },
    "refund": {
        "en": [
            Step("What is the status of my refund?"),
            Step("10460"),
            Step("01511000005", "1,250"),
        ],
        "bn": [
            Step("আমার রিফান্ডের কী অবস্থা?"),
            Step("১০৪৬০"),
            Step("০১৫১১০০০০০৫", "১,২৫০"),
        ],
    },
    "verification-retries": {
        "en": [
            Step("Where is my order?"),
            Step("123456789012", "5 to 7"),  # another shop's: not ours, not counted
            Step("PTH123456", "tracking code"),
            Step("{wrong_number}"),
            Step("{wrong_phone}", "match"),  # a real guess: counted
            Step("{wrong_number}"),
            Step("{other_wrong_phone}", "seconds"),  # slowed down
        ],
        "bn": [
            Step("আমার অর্ডারটা কোথায় আছে?"),
            Step("১২৩৪৫৬৭৮৯০১২", "৫ থেকে ৭"),
            Step("PTH123456", "ট্র্যাকিং কোড"),
            Step("{wrong_number}"),
            Step("{wrong_phone}", "মেলেনি"),
            Step("{wrong_number}"),
            Step("{other_wrong_phone}", "সেকেন্ড"),
        ],
    },
    "hand-over": {
        "en": [Step("Where is my order?"), Step("I want to talk to a human agent")],
        "bn": [Step("আমার অর্ডারটা কোথায় আছে?"), Step("আমি একজন মানুষের সাথে কথা বলতে চাই")],
    },
    "fallback": {
        "en": [Step("Where is my order?"), Step("10456"), Step("Tell me a joke about penguins")],
        "bn": [
            Step("আমার অর্ডারটা কোথায় আছে?"),
            Step("১০৪৫৬"),
            Step("পেঙ্গুইন নিয়ে একটা কৌতুক শোনান"),
        ],
    },
    "switch-mid-conversation": {
        "en": [
            Step("Where is my order?"),
            Step("10456"),
            Step("আমার ফোন নম্বর ০১৭১১০০০০০১", "PTH123456", lang="bn"),
            Step("👍", lang="bn"),
        ],
        "bn": [
            Step("আমার অর্ডারটা কোথায় আছে?"),
            Step("১০৪৫৬"),
            Step("my phone number is 01711000001", "PTH123456", lang="en"),
            Step("👍", lang="en"),
        ],
    },
}


def bangla(text: str) -> bool:
    return any("\u0980" <= c <= "\u09ff" for c in text)


# --- the channels, as a customer uses them ----------------------------------------------------


class Customer:
    """One conversation on one channel: ``say`` and ``click`` return the turn's replies."""

    def __init__(self, stack: Any) -> None:
        self.stack, self.turns, self.replies = stack, 0, []

    conversation_id = ""

    def send(self, text: str) -> List[Reply]:
        raise NotImplementedError

    def say(self, text: str) -> List[Reply]:
        self.turns += 1
        replies = self.send(text)
        self.replies += replies
        return replies

    def click(self, index: int) -> List[Reply]:
        buttons = next((b for _, b in reversed(self.replies) if b), None)
        assert buttons, f"no buttons to press: {self.replies}"
        return self.say(buttons[index]["payload"])

    def bot_messages_of_turn(self) -> int:
        tracker = wait_for_turn(self.stack, self.conversation_id, self.turns)
        events = tracker["events"]
        last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
        return sum(1 for e in events[last_user:] if e["event"] == "bot")

    def close(self) -> None:
        pass


class RestCustomer(Customer):
    def __init__(self, stack: Any) -> None:
        super().__init__(stack)
        self.sender = f"lang-{uuid.uuid4().hex[:10]}"
        self.conversation_id = f"rest:{self.sender}"

    def send(self, text: str) -> List[Reply]:
        return [
            (r.get("text") or "", list(r.get("buttons") or r.get("quick_replies") or []))
            for r in self.stack.say(self.sender, text)
        ]


class WebCustomer(Customer):
    def __init__(self, stack: Any, page: str) -> None:
        from tests.e2e.handoff_stack import WebCustomer as Socket

        super().__init__(stack)
        self.socket = Socket(stack.url, language=page).connect()
        self.conversation_id = self.socket.conversation_id

    def send(self, text: str) -> List[Reply]:
        before = self.socket.say(text)
        count = self.bot_messages_of_turn()
        deadline = time.monotonic() + 60
        while len(self.socket.received) - before < count and time.monotonic() < deadline:
            time.sleep(0.1)  # the emits are on their way to the socket
        return [
            (m.get("text") or "", list(m.get("quick_replies") or m.get("buttons") or []))
            for m in self.socket.received[before:]
        ]

    def close(self) -> None:
        self.socket.close()


class TelegramCustomer(Customer):
    def __init__(self, stack: Any, api: Any, language_code: str) -> None:
        super().__init__(stack)
        self.api, self.code = api, language_code
        self.chat_id = random.randint(10**8, 10**9)
        self.conversation_id = f"tg:{self.chat_id}"
        self.keyboard: Optional[List[List[Dict]]] = None

    def _post(self, update: Dict) -> List[Reply]:
        before = len(self.api.sent(self.chat_id))
        status, body = http(
            "POST",
            f"{self.stack.url}/webhooks/telegram/webhook",
            json.dumps(update, ensure_ascii=False).encode(),
            {SECRET_HEADER: TELEGRAM_SECRET},
        )
        assert status == 200, body
        wait_for_turn(self.stack, self.conversation_id, self.turns)
        replies = []
        for message in self.api.sent(self.chat_id)[before:]:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            if rows:
                self.keyboard = rows
            buttons = [{"title": b["text"], "payload": b["callback_data"]} for r in rows for b in r]
            replies.append((message.get("text") or "", buttons))
        return replies

    def send(self, text: str) -> List[Reply]:
        user = tg_user(self.chat_id, language_code=self.code)
        return self._post(tg_update(message=tg_message(self.chat_id, text, **{"from": user})))

    def click(self, index: int) -> List[Reply]:
        assert self.keyboard, "no keyboard to press"
        data = [b for row in self.keyboard for b in row][index]["callback_data"]
        message = tg_message(
            self.chat_id, text="…", reply_markup={"inline_keyboard": self.keyboard}
        )
        query = {
            "id": uuid.uuid4().hex[:10],
            "from": tg_user(self.chat_id, language_code=self.code),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        self.turns += 1
        replies = self._post(tg_update(callback_query=query))
        self.replies += replies
        return replies


class MessengerCustomer(Customer):
    def __init__(self, stack: Any, api: Any) -> None:
        super().__init__(stack)
        self.api = api
        self.psid = f"PSID{random.randint(10**8, 10**9)}"
        self.conversation_id = f"fb:{self.psid}"
        self.buttons: List[Dict[str, str]] = []
        self.kind = "quick_reply"

    def _post(self, event: Dict) -> List[Reply]:
        before = len(self.api.messages(self.psid))
        body = fb_body(fb_payload(event))
        status, answer = http(
            "POST",
            f"{self.stack.url}/webhooks/facebook/webhook",
            body,
            fb_sign(FACEBOOK["secret"], body),
        )
        assert status == 200, answer
        wait_for_turn(self.stack, self.conversation_id, self.turns)
        replies = []
        for message in self.api.messages(self.psid)[before:]:
            if "text" in message:
                buttons = [
                    {"title": q.get("title", ""), "payload": q["payload"]}
                    for q in message.get("quick_replies") or []
                ]
                text, kind = message["text"], "quick_reply"
            else:
                template = message["attachment"]["payload"]
                buttons = [
                    {"title": b.get("title", ""), "payload": b["payload"]}
                    for b in template.get("buttons") or []
                ]
                text, kind = template.get("text", ""), "postback"
            if buttons:
                self.buttons, self.kind = buttons, kind
            replies.append((text, buttons))
        return replies

    def send(self, text: str) -> List[Reply]:
        return self._post(fb_event(self.psid, message={"mid": uuid.uuid4().hex, "text": text}))

    def click(self, index: int) -> List[Reply]:
        assert self.buttons, "no buttons to press"
        button = self.buttons[index]
        if self.kind == "quick_reply":
            event = fb_event(
                self.psid,
                message={
                    "mid": uuid.uuid4().hex,
                    "text": button["title"],
                    "quick_reply": {"payload": button["payload"]},
                },
            )
        else:
            event = fb_event(
                self.psid,
                postback={
                    "mid": uuid.uuid4().hex,
                    "title": button["title"],
                    "payload": button["payload"],
                },
            )
        self.turns += 1
        replies = self._post(event)
        self.replies += replies
        return replies


# (channel, what it reports, the customer's language)
CHANNELS = [
    ("web", "bn", "en"),
    ("web", "en", "bn"),
    ("telegram", "bn", "en"),
    ("telegram", "en", "bn"),
    ("messenger", None, "en"),
    ("rest", None, "en"),
]


def customer(kind: str, reported: Optional[str], stack, telegram, graph) -> Customer:
    if kind == "web":
        return WebCustomer(stack, reported)
    if kind == "telegram":
        return TelegramCustomer(stack, telegram, reported)
    if kind == "messenger":
        return MessengerCustomer(stack, graph)
    return RestCustomer(stack)


# --- the stack --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders(shop_db_module) -> List[Dict[str, str]]:
    """Per channel: an order to cancel, one to return, and a number that is no order."""
    settings = load_settings()
    with session_scope(shop_db_module) as session:
        every = session.execute(select(Order).order_by(Order.number)).scalars().all()
        numbers = {o.number for o in every}
        cancel = [o for o in every if o.number != "10459" and shop.can_cancel(o, settings)]
        returns = [
            o
            for o in every
            if o.number != "10457" and shop.return_eligibility(session, o, settings).eligible
        ]
        assert len(cancel) >= len(CHANNELS) and len(returns) >= len(CHANNELS)
        picked = []
        for n in range(len(CHANNELS)):
            wrong = str(9_900_000 + n)
            assert wrong not in numbers
            picked.append(
                {
                    "cancel_number": cancel[n].number,
                    "cancel_phone": cancel[n].phone,
                    "return_number": returns[n].number,
                    "return_phone": returns[n].phone,
                    "wrong_number": wrong,
                    "wrong_phone": f"0170000{n:04d}",
                    "other_wrong_phone": f"0180000{n:04d}",
                }
            )
        return picked


@pytest.fixture(scope="module")
def stack(shop_db_module, fake_telegram, fake_graph, tmp_path_factory):  # noqa: F811
    """Action server + Rasa with the web bubble, REST, Telegram and Messenger."""
    from tests.servers import start_rasa_stack

    workdir = tmp_path_factory.mktemp("reply-language")
    credentials = Path(workdir) / "credentials.yml"
    credentials.write_text(
        CREDENTIALS.read_text(encoding="utf-8")
        + "\nchannels.webchat.WebChatInput:\n  user_message_evt: user_uttered\n"
        "  bot_message_evt: bot_uttered\n  metadata_key: customData\n",
        encoding="utf-8",
    )
    # A retry after a mismatch is slowed down for 10 minutes: the "wait" answer does not depend
    # on how fast this machine is.
    settings = yaml.safe_load((PROJECT_ROOT / "shop.yml").read_text(encoding="utf-8"))
    settings["verification"]["slow_down_seconds"] = 600
    shop_yml = Path(workdir) / "shop.yml"
    shop_yml.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = {
        "DATABASE_URL": shop_db_module,
        "SEBA_SHOP_SETTINGS": str(shop_yml),
        **channel_env(fake_telegram, fake_graph, TELEGRAM_SECRET, FACEBOOK),
    }
    with ExitStack() as servers:
        yield start_rasa_stack(servers, workdir, env=env, credentials=credentials)


# --- the test ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flow", list(FLOWS))
@pytest.mark.parametrize(
    "channel", range(len(CHANNELS)), ids=[f"{c}-{r or 'none'}-{lang}" for c, r, lang in CHANNELS]
)
def test_every_reply_is_in_the_customers_language(
    stack,
    orders,
    fake_telegram,  # noqa: F811
    fake_graph,  # noqa: F811
    channel,
    flow,
):
    kind, reported, lang = CHANNELS[channel]
    values = orders[channel]
    if lang == "bn":  # Bangla customers type Bengali digits
        values = {k: to_bengali_digits(v) for k, v in values.items()}
    person = customer(kind, reported, stack, fake_telegram, fake_graph)
    try:
        for step in FLOWS[flow][lang]:
            said = step.say if isinstance(step.say, Click) else step.say.format(**values)
            replies = person.click(said.index) if isinstance(said, Click) else person.say(said)
            texts = [text for text, _ in replies if text]
            where = f"{kind}/{reported} {flow}: {said!r} -> {texts}"
            assert texts, f"no answer: {where}\n{logs(stack)}"
            want = step.lang or lang
            wrong = [t for t in texts if bangla(t) != (want == "bn")]
            assert not wrong, f"not in {want}: {where}"
            expect = step.expect.format(**orders[channel])  # order numbers: as stored
            assert expect in " ".join(texts), f"expected {expect!r}: {where}"
    finally:
        person.close()


@pytest.mark.parametrize("page", ["bn", "en"])
def test_the_page_language_answers_when_the_customer_wrote_nothing_decisive(stack, page):
    person = WebCustomer(stack, page)
    try:
        for text in ("hi", "👍"):
            texts = [t for t, _ in person.say(text) if t]
            assert texts and all(bangla(t) == (page == "bn") for t in texts), texts
    finally:
        person.close()


# --- attacks: typed controls and forged slots do not get round the verification ---------------


def test_a_typed_control_with_a_long_number_and_a_phone_verifies_nothing(stack):
    person = RestCustomer(stack)
    person.say("Where is my order?")
    attack = '/inform{"order_number":"123456789012","phone":"01711000001"}'
    texts = " ".join(t for t, _ in person.say(attack))
    assert "5 to 7" in texts and "PTH123456" not in texts, texts
    slots = stack.tracker(person.conversation_id)["slots"]
    assert slots["verified_order"] is None and not slots["verification_failures"]
    assert slots["requested_slot"] == "order_number"  # asked again; the request is kept
    assert slots["order_task"] == "status"


def test_typed_verified_slots_reveal_nothing(stack):
    """The slots named in typed text are not set (only the numbers in it are read, as
    typed numbers always are: with the order's real phone that would be a real answer)."""
    person = RestCustomer(stack)
    forged = '/inform{"verified_order":"10456","verified_phone":"01700000009","verified_at":9e9}'
    person.say(forged)
    texts = " ".join(t for t, _ in person.say("Where is my order?"))
    assert "PTH123456" not in texts, texts
    slots = stack.tracker(person.conversation_id)["slots"]
    assert slots["verified_order"] is None and slots["requested_slot"] == "order_number"
