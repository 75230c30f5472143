"""Shared channel helpers: splitting, titles, typed text, ordered background work."""

import functools
import json

import pytest

from channels import (
    MAX_JSON_DEPTH,
    json_object_body,
    setting,
    shorten,
    split_message,
    typed_text,
    utf16_len,
)


def test_short_text_is_one_bubble_and_blank_lines_make_bubbles():
    assert split_message("হ্যালো!", 4096) == ["হ্যালো!"]
    assert split_message("  a\n\n\n\nb\nc  ", 4096) == ["a", "b\nc"]
    assert split_message("", 10) == [] and split_message("\n\n", 10) == []


def test_long_paragraph_is_cut_at_sentence_ends_then_words():
    text = "Your order is packed. It ships today! Expect it Friday? Thanks."
    parts = split_message(text, 40)
    assert parts == ["Your order is packed. It ships today!", "Expect it Friday? Thanks."]
    words = split_message("alpha beta gamma delta epsilon", 12)
    assert words == ["alpha beta", "gamma delta", "epsilon"]


def test_bengali_danda_ends_a_sentence_and_letters_are_never_torn():
    text = "অর্ডার পাঠানো হয়েছে। ডেলিভারি শুক্রবার। ধন্যবাদ।"
    assert split_message(text, 25) == ["অর্ডার পাঠানো হয়েছে।", "ডেলিভারি শুক্রবার।", "ধন্যবাদ।"]
    word = "স্বাস্থ্যসম্মত" * 3  # one long word full of conjuncts and vowel signs
    parts = split_message(word, 7)
    assert "".join(parts) == word
    for part in parts[1:]:
        assert not ("\u09be" <= part[0] <= "\u09cd")  # no part starts with a sign/hasanta
    for part in parts:
        assert not part.endswith("\u09cd")  # nor ends with a hasanta


def test_utf16_measure_counts_emoji_twice():
    assert utf16_len("📦a") == 3
    parts = split_message("📦" * 5, 4, utf16_len)
    assert parts == ["📦📦", "📦📦", "📦"]


def test_titles_are_shortened_at_word_ends():
    assert shorten("Track order", 20) == "Track order"
    short = shorten("Where is my order right now", 20)
    assert short == "Where is my order…" and len(short) <= 20
    bangla = shorten("সাইজ বা রং ভুল হয়েছে, বদলাতে চাই", 20)
    assert len(bangla) <= 20 and bangla.endswith("…") and bangla.startswith("সাইজ বা রং")
    assert len(shorten("x" * 50, 20)) == 20


def test_typed_text_never_starts_with_a_slash():
    assert typed_text('/inform{"phone":"01711000001"}') == 'inform{"phone":"01711000001"}'
    assert typed_text("//restart") == "restart"
    assert typed_text("  hello ") == "hello" and typed_text(None) == ""


def test_setting_prefers_credentials_then_environment(monkeypatch):
    monkeypatch.setenv("SEBA_TEST_SETTING", "env")
    assert setting({"k": "file"}, "k", "SEBA_TEST_SETTING") == "file"
    assert setting({"k": ""}, "k", "SEBA_TEST_SETTING") == "env"
    assert setting(None, "k", "SEBA_TEST_SETTING") == "env"
    monkeypatch.delenv("SEBA_TEST_SETTING")
    assert setting(None, "k", "SEBA_TEST_SETTING", "default") == "default"


@pytest.mark.parametrize("limit", [5, 17, 64, 500])
def test_split_never_loses_or_exceeds(limit):
    text = ("এক দুই তিন। Four five six! " * 40 + "\n\n" + "শেষ " * 30).strip()
    parts = split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    squash = lambda s: "".join(s.split())  # noqa: E731 (whitespace at cuts may go)
    assert squash("".join(parts)) == squash(text)


def test_every_channel_has_its_own_conversation_namespace():
    from channels import ChannelDeliveryError, conversation_id, platform_id

    assert conversation_id("telegram", 4242) == "tg:4242"
    assert conversation_id("facebook", "PSID") == "fb:PSID"
    assert conversation_id("socketio", "ab12") == "web:ab12"
    assert conversation_id("rest", "app-7") == "rest:app-7"
    assert platform_id("telegram", "tg:4242") == "4242"
    for channel, stranger in [
        ("telegram", "web:4242"),
        ("telegram", "4242"),
        ("facebook", "tg:PSID"),
        ("socketio", "rest:x"),
    ]:
        with pytest.raises(ChannelDeliveryError):
            platform_id(channel, stranger)


@pytest.mark.parametrize(
    "body",
    [
        b"[1]",
        b"not json",
        b"\x80",
        b"",
        b'"text"',
        b'{"a": ' * 5000 + b"1" + b"}" * 5000,  # Python's decoder would run out of recursion
        json.dumps(functools.reduce(lambda inner, _: {"x": inner}, range(40), {})).encode(),
    ],
)
def test_webhook_bodies_that_are_no_shallow_json_object_are_refused(body):
    with pytest.raises(ValueError):
        json_object_body(body)


def test_webhook_bodies_as_platforms_send_them_are_read():
    nested = functools.reduce(lambda inner, _: {"x": inner}, range(MAX_JSON_DEPTH - 1), {})
    assert json_object_body(json.dumps(nested).encode()) == nested
    assert json_object_body(b'{"object": "page", "entry": [{"messaging": []}]}')["object"] == "page"
