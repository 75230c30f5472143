"""The trained model (models/seba.tar.gz) on what others write: everyday topics are out of
scope, paraphrased shop requests are not, and a long number does not change the question."""

import asyncio

import pytest

from tests.servers import MODEL

pytestmark = pytest.mark.slow

EVERYDAY = [
    "how do i renew my passport",
    "what's the weather going to be like tomorrow",
    "give me a recipe for chicken soup",
    "বিদ্যুৎ বিল কিভাবে দেবো অনলাইনে",
    "পাসপোর্ট নবায়ন করতে কি কি লাগে",
    "নতুন আইফোনের দাম কত এখন",
    "eid kobe ebar bolen to",
    "passport renew korbo kivabe",
    "current bill online e kivabe dey",
]
IN_SCOPE = [
    ("where is my purchase, it's been a week", "order_status"),
    ("can i see the eta of my parcel", "order_status"),
    ("where is my order 123456789012?", "order_status"),
    ("amar order ৮৮৮৮৮৮৮৮৮৮৮৮ kothay", "order_status"),
    ("what's your refund policy", "return_policy"),
    ("আমার অর্ডারটা কোথায় আছে একটু দেখবেন", "order_status"),
    ("রিফান্ডের টাকা এখনো পাইনি", "refund_status"),
    ("delivery charge koto dhakar baire", "faq"),
]
SHORT = ["ok", "hi", "👍", "10456", "123456789012", "জি"]


@pytest.fixture(scope="module")
def parse():
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_topics_are_out_of_scope(parse, text):
    assert parse(text)["intent"]["name"] in ("out_of_scope", "nlu_fallback")


@pytest.mark.parametrize("text,intent", IN_SCOPE)
def test_paraphrased_requests_are_understood(parse, text, intent):
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize("text", SHORT)
def test_short_messages_are_not_rejected(parse, text):
    assert parse(text)["intent"]["name"] not in ("out_of_scope", "nlu_fallback")


def test_a_long_number_is_passed_on_as_an_order_number(parse):
    parsed = parse("where is my order 123456789012?")
    assert {(e["entity"], e["value"]) for e in parsed["entities"]} == {
        ("order_number", "123456789012")
    }
    assert parse("123456789012")["intent"]["name"] == "inform"
