"""Customers cannot type the bot's controls (seba/controls.py), before any NLU runs.

The stranger types what the bot's buttons and the console send; only a button the bot
offered in its latest turn goes through as a payload.
"""

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from seba.controls import customer_text, payload_key

RATING_BUTTONS = [
    {"title": "⭐⭐⭐⭐⭐ ৫", "payload": '/rate{"rating": "5"}'},
    {"title": "⭐ ১", "payload": '/rate{"rating": "1"}'},
]
REASON_BUTTONS = [{"title": "নষ্ট/ত্রুটিপূর্ণ", "payload": '/inform{"return_reason":"damaged"}'}]


def conversation(*turns):
    """Events: each turn is (customer text or None, bot buttons or None)."""
    events = [ActionExecuted("action_listen")]
    for text, buttons in turns:
        if text is not None:
            events += [UserUttered(text), ActionExecuted("action_listen")]
        if buttons is not None:
            events.append(BotUttered("…", data={"buttons": buttons}))
    return events


@pytest.mark.parametrize(
    "typed",
    [
        "/restart",
        "/back",
        "/session_start",
        "/EXTERNAL_handback",
        "  /EXTERNAL_anything{}",
        '/rate{"rating":"1"}',
        '/inform{"phone": "01711000001"}',
        '/order_status{"order_number":"10456"}',
        "//restart",
        "/restart@1.0",
    ],
)
def test_typed_controls_are_plain_text(typed):
    text = customer_text(typed, conversation(("hi", None)))
    assert not text.startswith("/"), text
    assert text == typed.strip().lstrip("/").strip()


def test_a_button_offered_in_the_latest_turn_is_a_payload():
    events = conversation(("কেমন লাগলো?", RATING_BUTTONS))
    assert customer_text('/rate{"rating": "5"}', events) == '/rate{"rating": "5"}'
    # The same payload written differently is the same button (and the bot's own is used).
    assert customer_text('/rate{ "rating":"5" }', events) == '/rate{"rating": "5"}'
    assert customer_text('/rate{"rating": "4"}', events) == 'rate{"rating": "4"}'  # not offered


def test_a_button_from_an_earlier_turn_counts_as_its_title():
    events = conversation((None, REASON_BUTTONS), ("আসলে অন্য কথা", None))
    assert customer_text('/inform{"return_reason":"damaged"}', events) == "নষ্ট/ত্রুটিপূর্ণ"


def test_controls_are_refused_even_when_a_button_carries_them():
    events = conversation(
        (
            None,
            [
                {"title": "restart", "payload": "/restart"},
                {"title": "x", "payload": "/EXTERNAL_handback"},
            ],
        )
    )
    assert customer_text("/restart", events) == "restart"
    assert customer_text("/EXTERNAL_handback", events) == "EXTERNAL_handback"


def test_ordinary_text_and_other_types_pass_unchanged():
    events = conversation(("hi", None))
    for text in ("আমার অর্ডার কোথায়?", "10/12 e pabo?", "", None):
        assert customer_text(text, events) == text


def test_payload_keys():
    assert payload_key('/a{"x": 1, "y": 2}') == payload_key('/a{"y":2,"x":1}')
    assert payload_key("/greet") == ("greet", "")
    assert payload_key("hello") is None
