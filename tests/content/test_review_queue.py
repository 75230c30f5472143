"""The review queue's rules on scripted conversations (Rasa's SQLTrackerStore writes them):
which customer messages of a handed-over conversation count, junk, and grouping."""

import datetime as dt

import pytest
from rasa.shared.core.events import Restarted

from handoff import queue
from handoff.db import local_now, to_epoch
from seba.content import review_queue as rq
from tests.content.helpers import Conversation, copy_project, store

FALLBACK = dict(
    intent="nlu_fallback",
    confidence=0.2,
    ranking=[("nlu_fallback", 0.3), ("complaint", 0.2), ("greet", 0.1)],
)


@pytest.fixture
def root(tmp_path):
    return copy_project(tmp_path / "project")


def build(tmp_path, root, conversations, handoff_url, line=0.6):
    url = store(tmp_path / "tracker.db", conversations)
    return rq.build(
        root, tracker_engine_for(url), local_now() - dt.timedelta(days=1), line, url=handoff_url
    )


def tracker_engine_for(url):
    import sqlalchemy as sa

    return sa.create_engine(url)


def texts(found):
    return sorted(item.text for item in found.items)


def test_a_handover_counts_the_messages_of_its_stretch_only(tmp_path, root, handoff_url):
    start = local_now() - dt.timedelta(hours=3)
    chat = Conversation("tg:1", start).user("first question that was fine", "greet", 0.99)
    chat.events.append(Restarted(timestamp=to_epoch(chat.now())))  # a new stretch starts
    chat.user("kisu ekta bujhlam na apnader", "greet", 0.99)
    handed = chat.now()
    chat.pause().user("agent ke bolchi eta", **FALLBACK).resume()
    chat.user("after the agent, all good", "thank", 0.99)
    conversations = [chat]
    queue.enqueue("tg:1", "telegram", "bn", "customer_request", "x", now=handed, url=handoff_url)
    found = build(tmp_path, root, conversations, handoff_url)
    assert texts(found) == ["kisu ekta bujhlam na apnader"]
    assert found.items[0].reasons == [rq.HANDED_OVER]
    assert found.items[0].handovers == ["customer_request"]


def test_guesses_split_the_faq_into_its_keys_and_drop_the_fallback():
    parse = {
        "intent": {"name": "faq", "confidence": 0.8},
        "intent_ranking": [
            {"name": "faq", "confidence": 0.8},
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "order_status", "confidence": 0.1},
        ],
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": "faq/warranty", "confidence": 0.5},
                    {"intent_response_key": "faq/contact", "confidence": 0.25},
                ]
            }
        },
    }
    assert rq.guesses(parse) == [rq.Guess("faq/warranty", 0.4), rq.Guess("faq/contact", 0.2)]


@pytest.mark.parametrize(
    "text,why",
    [
        ("ক" * 1001, "too long"),
        ("/greet", "button"),
        ("??? 12345 !!!", "no letters"),
        ("hahahahaha", "repeated characters"),
        ("আআআআআআ", "repeated characters"),
        ("lol lol lol lol", "repeated characters"),
    ],
)
def test_junk_is_kept_out(text, why):
    assert rq.junk_reason(text, 1000) == why


@pytest.mark.parametrize("text", ["ok", "kobe pabo?", "haha ki bolen", "অর্ডার ১০৪৫৬"])
def test_short_and_ordinary_messages_are_not_junk(text):
    assert rq.junk_reason(text, 1000) is None


def test_the_example_offered_never_holds_the_customers_phone():
    assert rq.example_text("amar number 01911222333 ar +880 1711-999888") == (
        "amar number 01711000001 ar 01711000001"
    )
    assert rq.example_text("ফোন ০১৯১১২২২৩৩৩") == "ফোন ০১৭১১০০০০০১"
