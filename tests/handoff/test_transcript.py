"""Pure pieces of the handoff service: transcript building, settings, customer wording."""

import datetime as dt

import yaml

from handoff import config, queue
from handoff.db import to_epoch
from handoff.transcript import build_transcript, latest_customer_message


def at(hour, minute):
    return to_epoch(dt.datetime(2025, 1, 6, hour, minute))


EVENTS = [
    {"event": "session_started", "timestamp": at(11, 0)},
    {
        "event": "user",
        "timestamp": at(11, 1),
        "text": "আমার অর্ডার কোথায়?",
        "input_channel": "telegram",
        "parse_data": {"intent": {"name": "order_status"}},
    },
    {"event": "action", "timestamp": at(11, 1), "name": "order_form"},
    {
        "event": "bot",
        "timestamp": at(11, 1),
        "text": "অর্ডার নম্বরটি দিন।",
        "data": {"buttons": [{"title": "মানুষের সাথে কথা", "payload": "/human_handoff"}]},
        "metadata": {"utter_action": "utter_ask_order_number"},
    },
    {"event": "user", "timestamp": at(11, 2), "text": "মানুষ চাই", "input_channel": "telegram"},
    {"event": "pause", "timestamp": at(11, 2)},
    {"event": "user", "timestamp": at(11, 5), "text": "হ্যালো?", "input_channel": "telegram"},
    {
        "event": "bot",
        "timestamp": at(11, 6),
        "text": "আমি রিনা, দেখছি।",
        "metadata": {"agent": "রিনা"},
    },
    {"event": "resume", "timestamp": at(11, 9)},
    {
        "event": "user",
        "timestamp": at(11, 9),
        "text": "EXTERNAL: EXTERNAL_handback",
        "metadata": {"is_external": True},
        "parse_data": {"intent": {"name": "EXTERNAL_handback"}},
    },
    {"event": "bot", "timestamp": at(11, 9), "text": "আমি আবার আছি! রেটিং দিন।"},
]


def test_transcript_labels_customers_bot_agents_and_waiting():
    items = build_transcript(EVENTS, dt.datetime(2025, 1, 6, 11, 2), dt.datetime(2025, 1, 6, 11, 6))
    assert [(i["kind"], i["text"]) for i in items] == [
        ("system", "New session"),
        ("customer", "আমার অর্ডার কোথায়?"),
        ("bot", "অর্ডার নম্বরটি দিন।"),
        ("customer", "মানুষ চাই"),
        ("system", "Bot paused: waiting for an agent"),
        ("customer", "হ্যালো?"),
        ("agent", "আমি রিনা, দেখছি।"),
        ("system", "Bot resumed"),
        ("system", "Bot event: EXTERNAL_handback"),
        ("bot", "আমি আবার আছি! রেটিং দিন।"),
    ]
    customer = [i for i in items if i["kind"] == "customer"]
    assert [i["while_waiting"] for i in customer] == [False, True, True]
    assert items[2]["buttons"] == ["মানুষের সাথে কথা"]
    assert items[6]["agent"] == "রিনা"
    assert items[1]["time"] == "2025-01-06T11:01:00" and items[1]["channel"] == "telegram"


def test_latest_customer_message_skips_external_events():
    text, when = latest_customer_message(EVENTS)
    assert (text, when) == ("হ্যালো?", dt.datetime(2025, 1, 6, 11, 5))
    assert latest_customer_message([]) == (None, None)


def test_canned_replies_from_shop_yml_with_fallback(shop_settings, monkeypatch):
    assert config.canned_replies() == config.DEFAULT_CANNED_REPLIES
    raw = yaml.safe_load(shop_settings.read_text(encoding="utf-8"))
    raw["handoff"] = {
        "abandon_after_minutes": 45,
        "canned_replies": [
            {
                "id": "hello",
                "bn": "নমস্কার, আমি {agent}। {shop_phone}",
                "en": "Hi, I'm {agent}. {shop_phone}",
            },
            {"id": "broken"},
            {"bn": "শুধু বাংলা {unknown}"},
        ],
    }
    shop_settings.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    import os

    os.utime(shop_settings, (1, 2))  # a new mtime: the settings are re-read
    replies = config.canned_replies()
    assert [r.id for r in replies] == ["hello", "reply_3"]
    assert config.render_canned(replies[0], "bn", "রিনা") == "নমস্কার, আমি রিনা। 09678-123456"
    assert config.render_canned(replies[0], "en", "Rina") == "Hi, I'm Rina. 09678-123456"
    assert config.render_canned(replies[1], "en", "Rina") == "শুধু বাংলা {unknown}"
    assert config.abandon_after_minutes() == 45
    monkeypatch.setenv("HANDOFF_ABANDON_AFTER_MINUTES", "12")
    assert config.abandon_after_minutes() == 12


def test_customer_values_in_both_languages():
    result = queue.EnqueueResult(7, True, 3, 15, False, dt.datetime(2025, 1, 11, 10, 0))
    thursday_night = dt.datetime(2025, 1, 9, 21, 0)
    assert queue.customer_values(result, "bn", now=thursday_night) == {
        "queue_position": "৩",
        "wait_minutes": "১৫",
        "agents_back": "শনিবার সকাল ১০টা",
    }
    assert (
        queue.customer_values(result, "en", now=dt.datetime(2025, 1, 10, 21, 0))["agents_back"]
        == "tomorrow 10 AM"
    )
    now_open = queue.EnqueueResult(7, True, 2, 10, True, None)
    assert queue.customer_values(now_open, "en")["agents_back"] == ""
