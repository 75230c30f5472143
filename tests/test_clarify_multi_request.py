"""seba.multi_request: the cheap check, the clauses, and the plan (with a scripted NLU; the
real NLU and dialogue are in tests/e2e/test_clarify_stack.py)."""

import asyncio

import pytest

from seba import multi_request as mr
from seba.nlu.linear_classifier import KEY_RANKING


@pytest.mark.parametrize(
    "text",
    [
        "order kothay?",
        "where is my parcel",
        "আমার অর্ডার কবে পাবো?",
        "delivery charge koto taka",
        "Tk.120 delivery?",  # a dot without a space after it is not a sentence end
        "10,000 taka",
        "android phone",  # "and" inside a word
        "আরো কত দিন লাগবে?",  # আর inside আরো
        "hello!!!",
    ],
)
def test_one_request_messages_have_no_seams(text):
    assert not mr.has_seams(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("order kothay ar return korbo kivabe?", ["order kothay", "return korbo kivabe"]),
        (
            "where is my parcel and how do i return a shirt",
            ["where is my parcel", "how do i return a shirt"],
        ),
        ("আমার অর্ডার কবে পাবো? আর ডেলিভারি চার্জ কত?", ["আমার অর্ডার কবে পাবো", "ডেলিভারি চার্জ কত"]),
        (
            "assalamualaikum vai, order kobe pabo? dhonnobad",
            ["assalamualaikum vai", "order kobe pabo", "dhonnobad"],
        ),
        ("Delivery charge? Also, can I pay by bKash", ["Delivery charge", "can I pay by bKash"]),
    ],
)
def test_clauses(text, expected):
    assert mr.has_seams(text)
    assert mr.clauses(text) == expected


READINGS = {
    "order kothay": ("order_status", 0.9, None),
    "return korbo kivabe": ("return_policy", 0.8, None),
    "assalamualaikum vai": ("greet", 0.95, None),
    "order kobe pabo": ("order_status", 0.85, None),
    "dhonnobad": ("thank", 0.97, None),
    "delivery charge koto": ("faq", 0.9, "faq/delivery_charge"),
    "koto din lagbe": ("faq", 0.9, "faq/delivery_time"),
    "ar koto": ("faq", 0.3, "faq/delivery_time"),
    "hmm": ("nlu_fallback", 0.3, None),
    "where is my parcel": ("order_status", 0.94, None),
    "how do i return a shirt": (
        "nlu_fallback",
        0.3,
        [("return_policy", 0.5), ("return_request", 0.49), ("faq/size_guide", 0.0)],
    ),
}


def reading(text, intent, confidence, key=None, entities=()):
    if isinstance(key, list):  # a key ranking
        return {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            KEY_RANKING: key,
        }
    parsed = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": list(entities),
    }
    if key:
        parsed["intent"]["full_retrieval_intent_name"] = key
    return parsed


def run_plan(text, whole):
    read = []

    async def parse(clause):
        read.append(clause)
        return reading(clause, *READINGS[clause])

    return asyncio.run(mr.plan(text, whole, parse)), read


ORDER = [{"entity": "order_number", "value": "10456", "start": 6, "end": 11}]


def test_two_requests_are_answered_in_turn():
    whole = reading(
        "order 10456 kothay ar return korbo kivabe", "order_status", 0.5, entities=ORDER
    )
    READINGS["order 10456 kothay"] = ("order_status", 0.9, None)
    plan, _read = run_plan("order 10456 kothay ar return korbo kivabe", whole)
    assert plan.first["intent"]["name"] == "order_status"
    assert plan.first["text"] == "order 10456 kothay ar return korbo kivabe"  # as written
    assert plan.first["entities"] == ORDER  # positions in the full text
    assert plan.first[mr.REQUESTS] == ["order_status", "return_policy"]
    assert plan.later == [{"text": "return korbo kivabe", "label": "return_policy", "entities": []}]
    later = mr.later_parse(plan.later[0])
    assert later["intent"]["name"] == "return_policy" and later[mr.FROM_EARLIER]


def test_two_faq_keys_are_two_requests():
    whole = reading("delivery charge koto, koto din lagbe", "faq", 0.9, "faq/delivery_charge")
    plan, _ = run_plan("delivery charge koto, koto din lagbe", whole)
    assert plan.first[mr.REQUESTS] == ["faq/delivery_charge", "faq/delivery_time"]
    later = mr.later_parse(plan.later[0])
    assert later["response_selector"]["faq"]["response"]["intent_response_key"] == (
        "faq/delivery_time"
    )


def test_a_greeting_and_thanks_around_a_request_answer_the_request():
    text = "assalamualaikum vai, order kobe pabo? dhonnobad"
    plan, _ = run_plan(text, reading(text, "greet", 0.6))
    assert plan.first["intent"]["name"] == "order_status" and plan.later == []
    assert mr.REQUESTS not in plan.first


def test_the_same_request_twice_is_one_and_keeps_the_whole_reading():
    text = "order kothay? order kobe pabo"
    plan, _ = run_plan(text, reading(text, "order_status", 0.9))
    assert plan is None


@pytest.mark.parametrize(
    "text, whole",
    [
        # the whole message already reads as the request
        ("assalamualaikum vai, order kobe pabo", ("order_status", 0.8)),
        # an unsure clause is not small talk: the whole reading stays
        ("hmm, order kobe pabo", ("greet", 0.5)),
        # "ar" meaning "more": the other part is no confident request
        ("delivery charge koto ar koto", ("faq", 0.9)),
    ],
)
def test_otherwise_the_whole_reading_stays(text, whole):
    READINGS.setdefault("koto", ("faq", 0.2, "faq/delivery_charge"))
    plan, _ = run_plan(text, reading(text, *whole))
    assert plan is None


def test_a_message_without_seams_costs_no_second_reading():
    plan, read = run_plan("order kothay", reading("order kothay", "order_status", 0.9))
    assert plan is None and read == []


def test_a_torn_clause_is_asked_about_after_the_sure_one():
    text = "how do i return a shirt and where is my parcel"
    plan, _ = run_plan(text, reading(text, "return_request", 0.76))
    assert plan.first["intent"]["name"] == "order_status"  # the sure one first
    [waiting] = plan.later
    assert waiting["choices"] == ["return_policy", "return_request"]
    later = mr.later_parse(waiting)
    assert later["intent"]["name"] == "clarify"
    assert later["seba_clarify"] == ["return_policy", "return_request"]
    assert mr.waiting_topic(waiting, "en") == "Return policy / Return an item"


def test_a_torn_clause_alone_is_no_plan():
    text = "hmm, how do i return a shirt"
    plan, _ = run_plan(text, reading(text, "return_request", 0.6))
    assert plan is None


def test_a_complaint_in_several_sentences_is_one_complaint():
    # "What service is this? 10 days and no parcel, nobody answers!" is one complaint, not a
    # complaint and an order-status request: the ticket and the agent see it whole.
    text = "এটা কেমন সার্ভিস? ১০ দিনেও পার্সেল আসেনি, কেউ ফোনও ধরে না!"
    whole = reading(text, "complaint", 0.8)
    plan, read = run_plan(text, whole)
    assert plan is None and read == []
    handoff = reading("manush er sathe kotha bolbo, order kothay", "human_handoff", 0.9)
    assert run_plan("manush er sathe kotha bolbo, order kothay", handoff) == (None, [])
