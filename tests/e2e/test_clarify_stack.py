"""Clarifying questions and two requests in one message, over REST with real Rasa and action
servers (seba.clarify, seba.multi_request; issue 12).

Which short message the trained model finds ambiguous depends on the model: the test asks
Rasa's own /model/parse and takes the first candidate whose two best labels are close by
seba.clarify's rule, so a retrained classifier does not make it pass or fail by chance (it
fails if none of the candidates is ambiguous any more)."""

import uuid

import pytest

from seba import clarify
from seba.nlu.linear_classifier import KEY_RANKING
from tests.servers import http

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CANDIDATES = [
    "delivery",
    "delivery koto",
    "ডেলিভারি",
    "order",
    "return",
    "refund",
    "order return",
    "return refund",
    "parcel",
    "charge",
    "amar order",
    "product",
    "payment",
    "cancel return",
    "ফেরত",
    "অর্ডার",
]


def new_sender() -> str:
    return "clarify-" + uuid.uuid4().hex[:10]


def parse(stack, text):
    status, body = http("POST", stack.api("/model/parse"), {"text": text}, headers=stack.auth)
    assert status == 200, body
    return body


@pytest.fixture(scope="module")
def ambiguous(rasa_stack):
    """(text, (first label, second label)) the model is unsure between."""
    for text in CANDIDATES:
        reading = parse(rasa_stack, text)
        pair = clarify.close_pair(clarify.ranked_labels(reading, reading.get(KEY_RANKING)))
        if pair:
            return text, pair
    pytest.fail(f"none of {CANDIDATES} is ambiguous for this model: add a candidate")


def user_events(stack, sender):
    events = stack.tracker("rest:" + sender)["events"]
    return [e for e in events if e["event"] == "user"]


def actions_after_last_user(stack, sender):
    events = stack.tracker("rest:" + sender)["events"]
    last = max(i for i, e in enumerate(events) if e["event"] == "user")
    return [e["name"] for e in events[last:] if e["event"] == "action"]


def test_close_guesses_get_a_question_with_the_two_buttons(rasa_stack, ambiguous):
    text, (first, second) = ambiguous
    sender = new_sender()
    [question] = rasa_stack.say(sender, text)
    payloads = [b["payload"] for b in question["buttons"]]
    assert payloads == [clarify.payload(first), clarify.payload(second), clarify.SOMETHING_ELSE]
    language = "en" if question["text"].startswith("Do you want to") else "bn"
    values = clarify.question_values([first, second], language)
    assert values["first_choice"] in question["text"] and "?" in question["text"]
    assert [b["title"] for b in question["buttons"][:2]] == [
        values["first_title"],
        values["second_title"],
    ]
    [event] = user_events(rasa_stack, sender)
    assert event["parse_data"]["intent"]["name"] == clarify.CLARIFY_INTENT
    assert KEY_RANKING not in event["parse_data"]  # the key ranking is not stored


def test_a_typed_payload_the_bot_did_not_offer_is_refused(rasa_stack, ambiguous):
    text, pair = ambiguous
    other = next(label for label in clarify.LABELS if label not in pair)
    sender = new_sender()
    rasa_stack.say(sender, text)
    rasa_stack.say(sender, clarify.payload(other))
    typed = user_events(rasa_stack, sender)[-1]
    assert typed["text"] == other  # the slash dropped: words for the NLU
    assert clarify.CHOSE not in typed["parse_data"]
    # A payload with entities smuggled in is refused as well, even for an offered label.
    sender = new_sender()
    rasa_stack.say(sender, text)
    rasa_stack.say(sender, clarify.payload(pair[0]) + '{"order_number": "10456"}')
    typed = user_events(rasa_stack, sender)[-1]
    assert not typed["text"].startswith("/") and clarify.CHOSE not in typed["parse_data"]


def test_a_pressed_button_answers_the_original_message_as_that_label(rasa_stack, ambiguous):
    text, (first, second) = ambiguous
    sender = new_sender()
    rasa_stack.say(sender, text)
    replies = rasa_stack.say(sender, clarify.payload(second))
    assert replies, "the press was answered"
    pressed = user_events(rasa_stack, sender)[-1]
    intent, _, key = second.partition("/")
    assert pressed["parse_data"]["intent"]["name"] == intent
    assert pressed["parse_data"][clarify.CHOSE] == {
        "label": second,
        "choices": [first, second],
        "text": text,
    }
    done = actions_after_last_user(rasa_stack, sender)
    assert "action_clarify" not in done and "utter_please_rephrase" not in done
    if key:
        assert "utter_faq" in done
        bot = [e for e in rasa_stack.tracker("rest:" + sender)["events"] if e["event"] == "bot"][-1]
        assert bot["metadata"].get("utter_action") == f"utter_{second}"


def test_something_else_is_the_usual_fallback(rasa_stack, ambiguous):
    text, _pair = ambiguous
    sender = new_sender()
    rasa_stack.say(sender, text)
    rasa_stack.say(sender, clarify.SOMETHING_ELSE)
    assert "utter_please_rephrase" in actions_after_last_user(rasa_stack, sender)


def test_typing_instead_of_pressing_is_a_new_message(rasa_stack, ambiguous):
    text, _pair = ambiguous
    sender = new_sender()
    rasa_stack.say(sender, text)
    rasa_stack.say(sender, "What is the delivery charge inside Dhaka?")
    typed = user_events(rasa_stack, sender)[-1]
    assert clarify.CHOSE not in typed["parse_data"]
    assert typed["parse_data"]["intent"]["name"] == "faq"


# --- two requests in one message -----------------------------------------------------------


def labels_of(events):
    found = []
    for e in events:
        intent = e["parse_data"]["intent"]
        found.append(intent.get("full_retrieval_intent_name") or intent["name"])
    return found


def test_two_faq_questions_are_answered_in_turn(rasa_stack):
    sender = new_sender()
    replies = rasa_stack.say(sender, "ডেলিভারি কত দিনে হয়? আর ডেলিভারি চার্জ কত?")
    events = user_events(rasa_stack, sender)
    assert labels_of(events) == ["faq/delivery_time", "faq/delivery_charge"]
    assert events[0]["text"] == "ডেলিভারি কত দিনে হয়? আর ডেলিভারি চার্জ কত?"
    assert len(replies) >= 2
    bots = [e for e in rasa_stack.tracker("rest:" + sender)["events"] if e["event"] == "bot"]
    assert [b["metadata"].get("utter_action") for b in bots[-2:]] == [
        "utter_faq/delivery_time",
        "utter_faq/delivery_charge",
    ]


def test_a_form_first_then_the_second_question_when_it_is_done(rasa_stack):
    # Read whole, this is a return request (the loudest part); the second clause alone is
    # torn between the return policy and a return: asked about once the order is answered.
    sender = new_sender()
    replies = rasa_stack.say(sender, "where is my parcel and how do i return a shirt")
    texts = [r.get("text") or "" for r in replies]
    assert any("I'll answer your question about" in t for t in texts), texts
    [first] = user_events(rasa_stack, sender)
    assert first["parse_data"]["intent"]["name"] == "order_status"
    [waiting] = rasa_stack.tracker("rest:" + sender)["slots"]["pending_requests"]
    assert waiting["text"] == "how do i return a shirt"
    assert set(waiting.get("choices") or [waiting["label"]]) <= {"return_policy", "return_request"}
    rasa_stack.say(sender, "10456")
    replies = rasa_stack.say(sender, "01711000001")
    events = user_events(rasa_stack, sender)
    assert events[-1]["parse_data"].get("seba_from_earlier") is True
    assert events[-1]["text"] == "how do i return a shirt"
    tracker = rasa_stack.tracker("rest:" + sender)
    assert tracker["slots"]["pending_requests"] is None
    events_all = tracker["events"]
    answered = max(i for i, e in enumerate(events_all) if e.get("name") == "action_order_status")
    asked = max(
        i
        for i, e in enumerate(events_all)
        if e["event"] == "user" and (e.get("parse_data") or {}).get("seba_from_earlier")
    )
    assert answered < asked  # the order first, then the waiting question
    # ... and the waiting question is answered: the clarify question, the return policy, or
    # the return's first step, depending on how sure the NLU is about the clause.
    after = [e["name"] for e in events_all[asked:] if e["event"] == "action"]
    assert [a for a in after if a != "action_listen"], after
    if waiting.get("choices"):  # the question's buttons answer it, as for any message
        pressed = rasa_stack.say(sender, clarify.payload(waiting["choices"][0]))
        assert pressed
        assert user_events(rasa_stack, sender)[-1]["parse_data"][clarify.CHOSE]["text"] == (
            "how do i return a shirt"
        )


def test_a_form_left_then_the_second_question(rasa_stack):
    sender = new_sender()
    rasa_stack.say(sender, "order kothay ar return korbo kivabe?")
    [first] = user_events(rasa_stack, sender)
    assert first["parse_data"]["intent"]["name"] == "order_status"
    rasa_stack.say(sender, "na thak")
    last = user_events(rasa_stack, sender)[-1]
    assert last["text"] == "return korbo kivabe" and last["parse_data"]["seba_from_earlier"]
    assert labels_of([last]) == ["return_request"]


def test_a_greeting_and_thanks_around_a_request_answer_the_request(rasa_stack):
    sender = new_sender()
    replies = rasa_stack.say(sender, "assalamualaikum vai, delivery charge koto? dhonnobad")
    [event] = user_events(rasa_stack, sender)
    assert labels_of([event]) == ["faq/delivery_charge"]
    assert "utter_greet" not in actions_after_last_user(rasa_stack, sender)
    assert replies


@pytest.mark.parametrize(
    "text", ["order kothay?", "What is the delivery charge inside Dhaka?", "ধন্যবাদ"]
)
def test_one_request_messages_are_read_as_before(rasa_stack, text):
    sender = new_sender()
    rasa_stack.say(sender, text)
    [event] = user_events(rasa_stack, sender)
    assert event["parse_data"]["intent"]["name"] == parse(rasa_stack, text)["intent"]["name"]
