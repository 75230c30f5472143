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
