"""Hypothesis strategies for Telegram webhook updates, each with what the connector must do.

A case is a few updates sent in order to one chat (an edit needs the message it edits),
each with the expected outcome (docs/channels.md):

- ``REPLY``: a text message (with a visible character) in a private chat: at least one
  ``sendMessage`` to that chat;
- ``TEXT_ONLY``: a sticker, photo, location ... in a private chat: the polite "please write"
  reply;
- ``ANSWERED``: a button press in a private chat: ``answerCallbackQuery`` (and, when the
  button's data is on the pressed message, a reply);
- ``FORGED``: a press whose data is not on the pressed message: answered, nothing reaches Rasa;
- ``SILENT``: nothing may be sent to that chat (group chats, edits of older messages);
- ``ANY``: no promise beyond the HTTP status (mutated updates, unknown kinds).

Mutated updates (a field deleted, or replaced by JSON of any type) must still never get a
5xx; ``update_id`` values are made unique when sent (Telegram never repeats one).
"""

import copy
from dataclasses import dataclass, field
from typing import Any, Dict, List

from hypothesis import strategies as st

from tests.fuzz.strategies import (
    big_ids,
    customer_texts,
    is_customer_text,
    json_values,
    mutations,
)

REPLY, TEXT_ONLY, ANSWERED, FORGED, SILENT, ANY = (
    "reply",
    "text_only",
    "answered",
    "forged",
    "silent",
    "any",
)
KNOWN_KINDS = ("message", "edited_message", "callback_query")
UNKNOWN_KINDS = (
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "business_message",
    "purchased_paid_media",
)


@dataclass
class Step:
    update: Dict[str, Any]  # without update_id (given when sent) unless it is mutated
    expect: str


@dataclass
class TelegramCase:
    chat_id: int  # the chat the case speaks in (negative: a group)
    private: bool
    steps: List[Step] = field(default_factory=list)


def users(user_id: int) -> st.SearchStrategy:
    return st.fixed_dictionaries(
        {"id": st.just(user_id), "is_bot": st.just(False), "first_name": st.text(max_size=20)},
        optional={
            "username": st.text(max_size=20),
            "language_code": st.sampled_from(["bn", "en", "hi", "ar", "", "bn-BD"]),
            "last_name": st.text(max_size=10),
            "is_premium": st.booleans(),
        },
    )


def chats(chat_id: int, private: bool) -> st.SearchStrategy:
    if private:
        return st.fixed_dictionaries(
            {"id": st.just(chat_id), "type": st.just("private")},
            optional={"first_name": st.text(max_size=20)},
        )
    return st.fixed_dictionaries(
        {
            "id": st.just(chat_id),
            "type": st.sampled_from(["group", "supergroup", "channel"]),
            "title": st.text(max_size=30),
        }
    )


def _file(**extra: Any) -> Dict[str, Any]:
    return {"file_id": "AgAD" + "x" * 20, "file_unique_id": "AQAD", **extra}


NON_TEXT = st.sampled_from(
    [
        {
            "sticker": _file(
                type="regular", width=512, height=512, is_animated=False, is_video=False, emoji="😊"
            )
        },
        {"photo": [_file(width=90, height=90), _file(width=800, height=800)], "caption": "এটা দেখুন"},
        {"location": {"latitude": 23.8103, "longitude": 90.4125}},
        {"contact": {"phone_number": "+8801711000001", "first_name": "Rahim"}},
        {"voice": _file(duration=3)},
        {"document": _file(file_name="invoice.pdf")},
        {"video_note": _file(length=240, duration=5)},
        {"dice": {"emoji": "🎲", "value": 4}},
        {
            "venue": {
                "location": {"latitude": 23.8, "longitude": 90.4},
                "title": "Seba",
                "address": "Dhaka",
            }
        },
    ]
).map(copy.deepcopy)  # a fresh copy every time: mutations change it in place


@st.composite
def messages(draw, chat: Dict[str, Any], message_id: int, content: Dict[str, Any]) -> Dict:
    user = draw(users(abs(chat["id"])))
    date = draw(st.integers(0, 2**32 - 1))  # Unix time, as Telegram sends it
    return {"message_id": message_id, "date": date, "chat": chat, "from": user, **content}


def text_content(text: str) -> Dict[str, Any]:
    content: Dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}
        ]
    return content


@st.composite
def text_cases(draw, texts: st.SearchStrategy = customer_texts) -> TelegramCase:
    """A customer's text message in a private chat."""
    chat_id = draw(big_ids)
    text = draw(texts)
    message = draw(messages(draw(chats(chat_id, True)), draw(big_ids), text_content(text)))
    return TelegramCase(
        chat_id, True, [Step({"message": message}, REPLY if is_customer_text(text) else ANY)]
    )


@st.composite
def non_text_cases(draw) -> TelegramCase:
    chat_id = draw(big_ids)
    message = draw(messages(draw(chats(chat_id, True)), draw(big_ids), draw(NON_TEXT)))
    return TelegramCase(chat_id, True, [Step({"message": message}, TEXT_ONLY)])


@st.composite
def edit_cases(draw) -> TelegramCase:
    """A message and its edit (answered), or an edit of an older message (ignored)."""
    chat_id = draw(big_ids)
    chat = draw(chats(chat_id, True))
    first_id = draw(big_ids)
    first_text, edited_text = draw(customer_texts), draw(customer_texts)
    first = draw(messages(chat, first_id, text_content(first_text)))
    steps = [Step({"message": first}, REPLY if is_customer_text(first_text) else ANY)]
    if draw(st.booleans()):  # the typo fix of the latest message: answered
        expect = REPLY if is_customer_text(edited_text) else ANY
    else:  # another message came in between: the edit of the older one is ignored
        later_text = draw(customer_texts)
        later = draw(messages(chat, first_id + 1, text_content(later_text)))
        steps.append(Step({"message": later}, REPLY if is_customer_text(later_text) else ANY))
        expect = SILENT
    edited = draw(messages(chat, first_id, text_content(edited_text)))
    edited["edit_date"] = edited["date"] + 1
    steps.append(Step({"edited_message": edited}, expect))
    return TelegramCase(chat_id, True, steps)


callback_data = st.one_of(
    st.sampled_from(
        [
            "/order_status",
            "/return_request",
            "ডেলিভারি চার্জ কত?",
            '/inform{"return_reason": "wrong_size_or_colour"}',
        ]
    ),
    st.text(max_size=80),
    st.text(st.characters(min_codepoint=0x30, max_codepoint=0x66), min_size=1, max_size=30).map(
        lambda t: "seba:" + t
    ),  # a short id this process never issued
    st.text(min_size=65, max_size=300),  # longer than Telegram allows
)


@st.composite
def callback_cases(draw) -> TelegramCase:
    chat_id = draw(big_ids)
    data = draw(callback_data)
    message = draw(messages(draw(chats(chat_id, True)), draw(big_ids), {"text": "বেছে নিন:"}))
    keyboard = draw(st.sampled_from(["none", "has_data", "other_data"]))
    if keyboard != "none":
        on_message = data if keyboard == "has_data" else data + "-other"
        message["reply_markup"] = {
            "inline_keyboard": [
                [{"text": draw(st.text(min_size=1, max_size=30)), "callback_data": on_message}]
            ]
        }
    query = {
        "id": draw(st.text(min_size=1, max_size=20)),
        "chat_instance": "ci",
        "from": draw(users(chat_id)),
        "data": data,
        "message": message,
    }
    expect = FORGED if keyboard == "other_data" else ANSWERED
    return TelegramCase(chat_id, True, [Step({"callback_query": query}, expect)])


@st.composite
def group_cases(draw) -> TelegramCase:
    chat_id = -draw(big_ids)
    content = draw(st.one_of(customer_texts.map(text_content), NON_TEXT))
    message = draw(messages(draw(chats(chat_id, False)), draw(big_ids), content))
    kind = draw(st.sampled_from(["message", "edited_message"]))
    return TelegramCase(chat_id, False, [Step({kind: message}, SILENT)])


@st.composite
def unknown_kind_cases(draw) -> TelegramCase:
    kind = draw(
        st.one_of(
            st.sampled_from(UNKNOWN_KINDS),
            st.text(min_size=1, max_size=20).filter(
                lambda k: k not in KNOWN_KINDS and k != "update_id"
            ),
        )
    )
    return TelegramCase(draw(big_ids), True, [Step({kind: draw(json_values)}, ANY)])


well_formed_cases = st.one_of(
    text_cases(),
    non_text_cases(),
    edit_cases(),
    callback_cases(),
    group_cases(),
    unknown_kind_cases(),
)


@st.composite
def mutated_cases(draw) -> TelegramCase:
    """A well-formed case with 1-3 fields deleted or given a value of another type."""
    case = draw(well_formed_cases)
    step = case.steps[-1]
    if draw(st.booleans()):
        step.update["update_id"] = draw(json_values)
    draw(mutations(step.update))
    for earlier in case.steps:
        earlier.expect = ANY  # the mutated step may break what the others rely on
    return case


any_cases = st.one_of(well_formed_cases, mutated_cases())
