"""The training data and the held-out split, checked as content staff edit them."""

import re
from collections import Counter, defaultdict

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from seba import PROJECT_ROOT
from seba.content.limits import MIN_EXAMPLES
from seba.evaluation import load_heldout
from seba.language import detect_variety

CONTRACT_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "order_status",
    "cancel_order",
    "return_policy",
    "return_request",
    "refund_status",
    "product_info",
    "human_handoff",
    "complaint",
    "bot_challenge",
    "out_of_scope",
    "faq",
}
FAQ_KEYS = {
    "delivery_time",
    "delivery_charge",
    "payment_methods",
    "business_hours",
    "how_to_order",
    "warranty",
    "contact",
    "size_guide",
}
MINIMUM = MIN_EXAMPLES  # the content checks own the thresholds


@pytest.fixture(scope="module")
def training():
    return load_data(str(PROJECT_ROOT / "data" / "nlu"))


def _key(message):
    return message.get("intent_response_key") or message.get("intent")


def _canonical(text):
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def test_contract_intents_and_faq_keys_exist(training):
    assert CONTRACT_INTENTS <= training.intents
    keys = {_key(m).split("/", 1)[1] for m in training.intent_examples if m.get("intent") == "faq"}
    assert FAQ_KEYS <= keys


def test_every_intent_has_examples_in_all_three_varieties(training):
    counts = defaultdict(Counter)
    for message in training.intent_examples:
        counts[_key(message)][detect_variety(message.get("text"))] += 1
    short = {
        key: {v: counts[key][v] for v in MINIMUM if counts[key][v] < MINIMUM[v]} for key in counts
    }
    assert not {k: v for k, v in short.items() if v}, "too few examples"


def test_heldout_split_is_not_in_training(training):
    seen = {_canonical(m.get("text")) for m in training.intent_examples}
    leaked = [
        r["text"] for rows in load_heldout().values() for r in rows if _canonical(r["text"]) in seen
    ]
    assert not leaked


def test_heldout_files_hold_one_variety_each():
    for variety, rows in load_heldout().items():
        assert len(rows) >= 100, variety
        wrong = [r["text"] for r in rows if detect_variety(r["text"]) not in (variety, None)]
        assert not wrong, f"{variety}: {wrong[:5]}"


def test_order_numbers_and_phones_are_annotated_with_normalised_values(training):
    for message in training.intent_examples:
        for entity in message.get("entities") or []:
            if entity["entity"] == "order_number":
                assert re.fullmatch(r"\d{5,7}", entity["value"]), message.get("text")
            if entity["entity"] == "phone":
                assert re.fullmatch(r"01[3-9]\d{8}", entity["value"]), message.get("text")
