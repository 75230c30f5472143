"""seba.clarify: the labels table, when the bot asks, and what a button press may be."""

import asyncio
import re

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify
from seba import PROJECT_ROOT, clarify
from seba.content import training_files
from seba.controls import customer_text

BENGALI = re.compile(r"^[\u0980-\u09ff\s,?।“”]+$")


def test_every_intent_and_faq_key_is_labelled_or_never_asked_about():
    trained = set(training_files.labels(PROJECT_ROOT))
    labelled, not_asked = set(clarify.LABELS), set(clarify.NOT_ASKED)
    assert not labelled & not_asked
    assert trained == labelled | not_asked, (
        f"give these a label in seba/clarify.py LABELS (or a reason in NOT_ASKED): "
        f"{sorted(trained - labelled - not_asked)}; "
        f"unknown: {sorted((labelled | not_asked) - trained)}"
    )


@pytest.mark.parametrize("label", sorted(clarify.LABELS))
def test_every_label_reads_in_bangla_and_english(label):
    names = clarify.LABELS[label]
    assert set(names) == {"bn", "en"}
    for phrase in names["bn"]:
        assert phrase.strip() and BENGALI.match(phrase), phrase  # Bangla script only
    for phrase in names["en"]:
        assert phrase.strip() and phrase.isascii(), phrase
    assert names["en"][0][0].islower()  # it continues "Do you want to …"


def test_the_question_reads_as_the_issue_asks():
    bn = clarify.question_values(["order_status", "return_request"], "bn")
    en = clarify.question_values(["order_status", "return_request"], "en")
    assert f"আপনি কি {bn['first_choice']}, নাকি {bn['second_choice']}?" == (
        "আপনি কি অর্ডারের অবস্থা জানতে চাচ্ছেন, নাকি রিটার্ন করতে চান?"
    )
    assert f"Do you want to {en['first_choice']}, or {en['second_choice']}?" == (
        "Do you want to check your order status, or return an item?"
    )
    assert (bn["first_payload"], en["second_payload"]) == ("/order_status", "/return_request")


KEYS = [("faq/delivery_time", 0.41), ("faq/delivery_charge", 0.37), ("order_status", 0.1)]


def test_two_close_faq_keys_are_asked_about():
    # One intent (faq, 0.78 together): Rasa's ambiguity check never compared its keys.
    assert clarify.close_pair(clarify.ranked_labels({}, KEYS)) == (
        "faq/delivery_time",
        "faq/delivery_charge",
    )


@pytest.mark.parametrize(
    "ranking",
    [
        [("order_status", 0.6), ("return_request", 0.3)],  # a clear winner
        [("order_status", 0.19), ("return_request", 0.18)],  # low, and no real second
        [("greet", 0.45), ("order_status", 0.4)],  # small talk is not asked about
        [("order_status", 0.45), ("inform", 0.4)],  # nor an answer
        [("out_of_scope", 0.4), ("faq/contact", 0.38)],
        [("order_status", 0.9)],
    ],
)
def test_otherwise_todays_handling_stays(ranking):
    assert clarify.close_pair(clarify.ranked_labels({}, ranking)) is None


def test_without_the_key_ranking_the_parse_data_is_read():
    parse = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.7},
            {"name": "order_status", "confidence": 0.42},
            {"name": "faq", "confidence": 0.40},
        ],
        "response_selector": {
            "faq": {"ranking": [{"intent_response_key": "faq/delivery_time", "confidence": 1.0}]}
        },
    }
    assert clarify.close_pair(clarify.ranked_labels(parse)) == (
        "order_status",
        "faq/delivery_time",
    )


def _clarify_turn(choices=("faq/delivery_time", "faq/delivery_charge")):
    original = clarify.mark_ambiguous(
        {
            "text": "delivery koto",
            "intent": {"name": "faq", "confidence": 0.78},
            "entities": [{"entity": "order_number", "value": "10456", "start": 0, "end": 5}],
        },
        choices,
    )
    values = clarify.question_values(list(choices), "bn")
    buttons = [
        {"title": values["first_title"], "payload": values["first_payload"]},
        {"title": values["second_title"], "payload": values["second_payload"]},
        {"title": "অন্য কিছু", "payload": clarify.SOMETHING_ELSE},
    ]
    events = [
        UserUttered(original["text"], original["intent"], original["entities"], original),
        ActionExecuted("action_clarify"),
        BotUttered("আপনি কি …?", {"buttons": buttons}),
        ActionExecuted("action_listen"),
    ]
    return original, events


def _pressed(typed, events, previous):
    text = customer_text(typed, events)
    return clarify.chosen_label(text, previous)


def test_a_button_the_bot_offered_answers_the_original_message():
    original, events = _clarify_turn()
    assert _pressed("/faq/delivery_charge", events, original) == "faq/delivery_charge"
    parse = clarify.chosen_parse("/faq/delivery_charge", "faq/delivery_charge", original)
    assert parse["intent"] == {
        "name": "faq",
        "confidence": 1.0,
        "full_retrieval_intent_name": "faq/delivery_charge",
    }
    response = parse["response_selector"]["faq"]["response"]
    assert response["utter_action"] == "utter_faq/delivery_charge"
    assert parse["entities"] == original["entities"]  # what the customer wrote counts
    assert parse[clarify.CHOSE] == {
        "label": "faq/delivery_charge",
        "choices": ["faq/delivery_time", "faq/delivery_charge"],
        "text": "delivery koto",
    }


@pytest.mark.parametrize(
    "typed",
    [
        "/faq/warranty",  # a label the bot did not offer
        "/order_status",
        '/faq/delivery_time{"order_number": "99999"}',  # entities smuggled into a payload
        "/restart",
        "/EXTERNAL_handback",
        "faq/delivery_time",  # no slash: words
        "/ faq/delivery_time x",
    ],
)
def test_a_typed_payload_the_bot_did_not_offer_is_still_refused(typed):
    original, events = _clarify_turn()
    assert _pressed(typed, events, original) is None
    assert not str(customer_text(typed, events)).startswith("/")  # the NLU reads it as words


def test_an_offered_button_of_an_earlier_turn_is_not_a_choice():
    original, events = _clarify_turn()
    later = {"text": "ok", "intent": {"name": "affirm", "confidence": 0.9}, "entities": []}
    events += [UserUttered("ok", later["intent"], [], later), BotUttered("…", {})]
    text = customer_text("/faq/delivery_time", events)
    assert text == "ডেলিভারির সময়"  # the button's title, read by the NLU
    assert clarify.chosen_label(text, later) is None


def test_a_choice_needs_the_question_on_the_previous_message():
    _original, events = _clarify_turn()
    not_asked = {"text": "x", "intent": {"name": "faq", "confidence": 0.9}}
    assert _pressed("/faq/delivery_time", events, not_asked) is None
    assert _pressed("/faq/delivery_time", events, None) is None


def _action_tracker(latest, language_text="delivery koto"):
    events = [{"event": "user", "text": language_text, "parse_data": latest}]
    return Tracker("c1", {}, latest, events, False, None, {}, "action_listen")


def test_the_action_asks_with_the_labels_of_the_message():
    original, _events = _clarify_turn(("order_status", "return_request"))
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, _action_tracker(original), {}))
    [message] = dispatcher.messages
    assert message["response"] == "utter_clarify"
    assert message["first_payload"] == "/order_status"
    assert message["second_title"] == clarify.LABELS["return_request"]["bn"][1]


@pytest.mark.parametrize(
    "choices", [[], ["order_status"], ["order_status", "restart"], ["../x", "greet"]]
)
def test_the_action_without_two_known_labels_asks_to_rephrase(choices):
    latest = {"text": "x", "intent": {"name": "clarify"}, clarify.CHOICES: choices}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, _action_tracker(latest), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_please_rephrase"]
