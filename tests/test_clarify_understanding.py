"""seba.understanding in the processor's place, with a scripted NLU and dialogue (fast): what
a message is logged as, and when the waiting requests are logged as the next turns. The
real NLU, rules and action server: tests/e2e/test_clarify_stack.py."""

import asyncio
from typing import Any, Dict

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba import PROJECT_ROOT, clarify
from seba import multi_request as mr
from seba.nlu.linear_classifier import KEY_RANKING
from seba.understanding import LATER_RESPONSE, UnderstandingMixin

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))

READINGS = {
    "delivery koto": ("faq", 0.8, [("faq/delivery_time", 0.41), ("faq/delivery_charge", 0.39)]),
    "order kothay": ("order_status", 0.9, [("order_status", 0.9)]),
    "return korbo kivabe": ("return_policy", 0.8, [("return_policy", 0.8)]),
    "order kothay ar return korbo kivabe": (
        "order_status",
        0.5,
        [("order_status", 0.5), ("return_policy", 0.3)],
    ),
}


class FakeNLG:
    async def generate(self, name, tracker, channel, **values):
        return {"text": f"{name}:{values.get('pending_topic')}"}


class Processor(UnderstandingMixin):
    """The mixin over a scripted NLU; the dialogue loop records what it was given."""

    def __init__(self) -> None:
        self.domain, self.nlg, self.parsed, self.turns = DOMAIN, FakeNLG(), [], []
        self.form_for: Dict[str, str] = {}  # intent -> the form a turn opens

    async def parse_message(self, message, tracker=None) -> Dict[str, Any]:
        self.parsed.append(message.text)
        intent, confidence, keys = READINGS[message.text]
        parse = {
            "text": message.text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            KEY_RANKING: [list(k) for k in keys],
        }
        if intent == "faq":
            parse["intent"]["full_retrieval_intent_name"] = keys[0][0]
        return parse

    async def run_action_extract_slots(self, channel, tracker):
        return tracker

    async def _seba_prediction_loop(self, channel, tracker):
        intent = tracker.latest_message.intent.get("name")
        self.turns.append(intent)
        if intent in self.form_for:
            tracker.update(ActiveLoop(self.form_for[intent]))

    async def execute_side_effects(self, events, tracker, channel):
        for event in events:
            await channel.send_response(tracker.sender_id, {"text": event.text})


def tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("c1", list(events), slots=DOMAIN.slots)


async def handle(processor, text, conversation, channel=None):
    """The processor's steps for one message: understand, log, the loop, the later ones."""
    channel = channel or CollectingOutputChannel()
    message = UserMessage(text, channel, "c1")
    parse = await processor.understand(message, conversation)
    conversation.update(
        UserUttered(text, parse["intent"], parse["entities"], parse), processor.domain
    )
    processor.log_later_requests(message, conversation)
    await processor._seba_prediction_loop(channel, conversation)
    await processor.answer_later_requests(channel, conversation)
    return parse, channel.messages


def run(coroutine):
    return asyncio.run(coroutine)


def test_close_keys_become_the_clarify_intent_without_storing_the_key_ranking():
    processor, conversation = Processor(), tracker()
    parse, _ = run(handle(processor, "delivery koto", conversation))
    assert parse["intent"] == {"name": clarify.CLARIFY_INTENT, "confidence": 1.0}
    assert parse[clarify.CHOICES] == ["faq/delivery_time", "faq/delivery_charge"]
    assert KEY_RANKING not in parse
    assert processor.parsed == ["delivery koto"]  # read once


def test_inside_a_form_the_nlu_reading_stays():
    processor = Processor()
    conversation = tracker(ActiveLoop("order_verify_form"))
    parse = run(processor.understand(UserMessage("delivery koto", sender_id="c1"), conversation))
    assert parse["intent"]["name"] == "faq"


def test_a_press_is_not_read_by_the_nlu():
    processor, conversation = Processor(), tracker()
    run(handle(processor, "delivery koto", conversation))
    message = UserMessage("/faq/delivery_charge", sender_id="c1")
    parse = run(processor.understand(message, conversation))
    assert parse[clarify.CHOSE]["label"] == "faq/delivery_charge"
    assert processor.parsed == ["delivery koto"]


def test_two_requests_are_two_turns():
    processor, conversation = Processor(), tracker()
    parse, sent = run(handle(processor, "order kothay ar return korbo kivabe", conversation))
    assert processor.turns == ["order_status", "return_policy"]
    assert parse[mr.REQUESTS] == ["order_status", "return_policy"]
    assert conversation.get_slot(mr.PENDING_SLOT) is None
    assert sent == []  # no notice: nothing had to wait


def test_a_form_first_keeps_the_second_and_says_so_once_then_answers_it_after_the_form():
    processor, conversation = Processor(), tracker()
    processor.form_for["order_status"] = "order_verify_form"
    _parse, sent = run(handle(processor, "order kothay ar return korbo kivabe", conversation))
    assert processor.turns == ["order_status"]
    assert [m["text"] for m in sent] == [f"{LATER_RESPONSE}:রিটার্নের নিয়ম"]
    assert [r["label"] for r in conversation.get_slot(mr.PENDING_SLOT)] == ["return_policy"]
    # The next message, still in the form: no second notice, nothing answered yet.
    channel = CollectingOutputChannel()
    conversation.update(UserUttered("10456", {"name": "inform", "confidence": 0.9}))
    run(processor.answer_later_requests(channel, conversation))
    assert channel.messages == [] and processor.turns == ["order_status"]
    # The form is done: the waiting question is the next turn.
    conversation.update(ActiveLoop(None))
    run(processor.answer_later_requests(CollectingOutputChannel(), conversation))
    assert processor.turns == ["order_status", "return_policy"]
    assert conversation.latest_message.parse_data[mr.FROM_EARLIER] is True
    assert conversation.get_slot(mr.PENDING_SLOT) is None


def test_a_handover_drops_the_waiting_requests():
    processor, conversation = Processor(), tracker()
    processor.form_for["order_status"] = "order_verify_form"
    run(handle(processor, "order kothay ar return korbo kivabe", conversation))
    conversation.update(ActiveLoop(None))
    conversation.update(ConversationPaused())
    run(processor.answer_later_requests(CollectingOutputChannel(), conversation))
    assert processor.turns == ["order_status"]
    assert conversation.get_slot(mr.PENDING_SLOT) is None


@pytest.mark.parametrize("text", ["order kothay", "return korbo kivabe"])
def test_one_request_is_read_once_and_logged_as_read(text):
    processor, conversation = Processor(), tracker()
    parse, _ = run(handle(processor, text, conversation))
    assert processor.parsed == [text]
    assert parse["intent"]["name"] == READINGS[text][0]
    assert KEY_RANKING not in parse and mr.REQUESTS not in parse
    assert processor.turns == [READINGS[text][0]]
