import pytest

from seba.language import detect_variety, language_for_events, reply_language


@pytest.mark.parametrize(
    "text,variety",
    [
        ("আমার অর্ডার কোথায়?", "bn"),
        ("bKash এ পেমেন্ট করা যাবে?", "bn"),
        ("ভাই order টা কবে পাবো", "bn"),
        ("vai amar order ta kobe pabo?", "banglish"),
        ("delivery charge koto?", "banglish"),
        ("apu borka tar dam koto", "banglish"),
        ("vaiii okkk", "banglish"),
        ("thank u apu", "banglish"),
        ("delivery man onek baje behave korse", "banglish"),
        ("When will I get my order?", "en"),
        ("What is the delivery charge", "en"),
        ("Do you have black borka", "en"),
    ],
)
def test_detect_variety(text, variety):
    assert detect_variety(text) == variety


@pytest.mark.parametrize(
    "text",
    [
        "10456",
        "ok",
        "hi",
        "😀👍",
        "",
        None,
        "01711000001",
        "/greet",
        '/inform{"return_reason":"damaged"}',
    ],
)
def test_neutral_text_decides_nothing(text):
    assert detect_variety(text) is None


def test_banglish_is_answered_in_bangla():
    assert reply_language("banglish") == "bn"
    assert reply_language("en") == "en"
    assert reply_language(None) == "bn"


def _user(text, metadata=None):
    return {"event": "user", "text": text, "metadata": metadata or {}}


def test_conversation_language_follows_latest_decisive_message():
    events = [_user("Where is my order?"), {"event": "bot", "text": "..."}, _user("10456")]
    assert language_for_events(events) == "en"
    events.append(_user("আমার ফোন নম্বর দিচ্ছি"))
    assert language_for_events(events) == "bn"


def test_page_language_in_metadata_decides_neutral_messages():
    assert language_for_events([_user("hi", {"language": "en"})]) == "en"
    assert language_for_events([_user("hi")]) == "bn"


# --- the reply language follows the customer (issue 12) --------------------------------------


def _bot(text="..."):
    return {"event": "bot", "text": text}


PAGE_BN, PAGE_EN = {"language": "bn"}, {"language": "en"}


def test_a_phone_number_after_english_keeps_english_on_a_bangla_page():
    """The bug: the page's language outranked the conversation's last decisive message."""
    events = [
        _user("I want to cancel my order 10456", PAGE_BN),
        _bot("And the mobile number you placed the order with, please."),
        _user("01711000001", PAGE_BN),
    ]
    assert language_for_events(events) == "en"


@pytest.mark.parametrize(
    "neutral",
    [
        "01711000001",
        "+880 1711-000001",
        "০১৭১১০০০০০১",
        "10456",
        "#১০৪৫৬",
        "order 10456",
        "PTH123456",
        "ok",
        "Okk",
        "👍",
        "🙏🙏",
        "/affirm",
        '/rate{"rating": "5"}',
        "yes",
        "thank you",
        "thanks",
        "cancel",
        "refund",
        "Order status",
        "order_status",  # a typed payload, its slash dropped by seba.controls
        "hmm",
        "",
    ],
)
def test_a_message_that_decides_nothing_keeps_the_language(neutral):
    for first, expected in (("Where is my order?", "en"), ("আমার অর্ডার কোথায়?", "bn")):
        page = PAGE_BN if expected == "en" else PAGE_EN  # the page says the other language
        events = [_user(first, page), _bot(), _user(neutral, page)]
        assert language_for_events(events) == expected, (first, neutral)


@pytest.mark.parametrize(
    "second, expected",
    [
        ("আমার ফোন নম্বর ০১৭১১০০০০০১", "bn"),
        ("vai kobe pabo?", "bn"),  # Banglish is answered in Bangla script
        ("Can I return it instead?", "en"),
    ],
)
def test_a_decisive_message_switches_the_language(second, expected):
    first = "Where is my order?" if expected == "bn" else "আমার অর্ডার কোথায়?"
    events = [_user(first, PAGE_EN), _bot(), _user(second, PAGE_EN), _bot(), _user("ok", PAGE_EN)]
    assert language_for_events(events) == expected


def test_the_page_language_decides_only_when_the_customer_wrote_nothing_decisive():
    events = [_user("/greet", PAGE_EN), _bot(), _user("10456", PAGE_EN), _user("ok", PAGE_EN)]
    assert language_for_events(events) == "en"
    events[-1] = _user("ok", PAGE_BN)  # the visitor switched the page: its newest report wins
    assert language_for_events(events) == "bn"
    # Older decisive words outrank any page language.
    assert language_for_events([_user("ধন্যবাদ", PAGE_EN)] + events) == "bn"
    assert language_for_events([_user("hi"), _user("ok")]) == "bn"  # nothing at all: Bangla


def test_the_web_bubble_metadata_shapes():
    assert language_for_events([_user("hi", {"customData": {"language": "en"}})]) == "en"
    for junk in ({"language": "fr"}, {"customData": "en"}, {"customData": ["en"]}, "en", None):
        assert language_for_events([_user("hi", junk)]) == "bn"


@pytest.mark.parametrize(
    "code, expected",
    [("en", "en"), ("en-US", "en"), ("EN-gb", "en"), ("bn", "bn"), ("hi", "bn"), (None, "bn")],
)
def test_telegram_language_code_decides_only_when_nothing_was_written(code, expected):
    meta = {"telegram": {"chat_id": 1, "language_code": code}}
    assert language_for_events([_user("hello", meta), _user("10456", meta)]) == expected
    # What the customer wrote wins over the app's language.
    other = "আমার অর্ডার কোথায়?" if expected == "en" else "Where is my order?"
    assert language_for_events([_user(other, meta), _user("10456", meta)]) != expected


def test_rasa_sdk_style_events_and_external_events():
    """The action server's events are dicts; the console's hand back is not the customer's."""
    events = [
        _user("Where is my order?", PAGE_BN),
        _user("EXTERNAL: EXTERNAL_handback", {"is_external": True}),
        _user("আসসালামু আলাইকুম", {"is_external": True}),  # external: skipped
        _user("01711000001", PAGE_BN),
    ]
    assert language_for_events(events) == "en"


def test_decisive_variety_ignores_codes_but_not_words():
    from seba.language import decisive_variety

    assert decisive_variety("PTH123456") is None
    assert decisive_variety("my order is 10456") == "en"
    assert decisive_variety("10456 er ki obostha") == "banglish"
    assert decisive_variety("১০৪৫৬ অর্ডারটা কোথায়") == "bn"
    assert decisive_variety("I want to cancel") == "en"  # shared words count with others


def test_actions_get_the_whole_conversations_language_in_a_long_conversation():
    """The action server gets the recent turns only (seba.runtime): the English message that
    decided lies before them, and the page says bn. The Rasa server sends the language."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa_sdk import Tracker

    from actions.base import language
    from seba.runtime import MIN_EVENTS_FOR_VIEW, SebaRemoteAction

    domain = Domain.from_yaml(
        'version: "3.1"\nintents: [inform]\nslots:\n  language:\n    type: categorical\n'
        "    values: [bn, en]\n    influence_conversation: false\n    mappings: [{type: custom}]\n"
    )
    events = [ActionExecuted("action_session_start")]
    texts = ["I want to cancel my order"] + ["ok", "10456", "👍"] * (MIN_EVENTS_FOR_VIEW // 6)
    for text in texts:
        events += [
            ActionExecuted("action_listen"),
            UserUttered(text, {"name": "inform"}, metadata=PAGE_BN),
            BotUttered("..."),
        ]
    tracker = DialogueStateTracker.from_events("c1", events, slots=domain.slots)
    call = SebaRemoteAction("action_x", None)._action_call_format(tracker, domain)
    sent = [e.get("text") for e in call["tracker"]["events"] if e["event"] == "user"]
    assert "I want to cancel my order" not in sent  # the window starts after it
    assert language_for_events(call["tracker"]["events"]) == "bn"  # what the events alone say
    assert call["tracker"]["slots"]["language"] == "en"
    action_tracker = Tracker.from_dict(call["tracker"])
    assert language(action_tracker) == "en"


def test_telegrams_start_decides_nothing():
    """/start is the channel's, not the customer's words: the app's language answers it."""
    from channels.telegram import START_TEXT

    en_app = {"telegram": {"language_code": "en"}}
    assert language_for_events([_user(START_TEXT, en_app)]) == "en"
    assert language_for_events([_user(START_TEXT, {"telegram": {"language_code": "bn"}})]) == "bn"
