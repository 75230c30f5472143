"""seba/tracker_db.py reads what Rasa's SQL tracker store wrote."""

import asyncio
import datetime as dt

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba import tracker_db


def _store_conversation(db, sender, texts):
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker(sender, [])
    for text in texts:
        tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(BotUttered(f"re: {text}"))
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def test_events_of_a_range_and_of_one_conversation(tmp_path):
    db = tmp_path / "tracker.db"
    _store_conversation(db, "tg:1", ["হ্যালো", "অর্ডার কোথায়?"])
    _store_conversation(db, "web:abc", ["hi"])
    engine = tracker_db._engine(f"sqlite:///{db}")

    users = list(tracker_db.events_between(engine, types=("user",)))
    assert [(e.sender_id, e.data["text"]) for e in users] == [
        ("tg:1", "হ্যালো"),
        ("tg:1", "অর্ডার কোথায়?"),
        ("web:abc", "hi"),
    ]
    assert users[0].intent_name == "greet"
    future = dt.datetime.now() + dt.timedelta(hours=1)
    assert list(tracker_db.events_between(engine, since=future)) == []

    one = tracker_db.conversation_events(engine, "tg:1", types=("user", "bot"))
    assert [e.type_name for e in one] == ["user", "bot", "user", "bot"]
    assert tracker_db.conversation_events(engine, "tg:2") == []


def test_no_events_table_yet_is_no_events(tmp_path):
    engine = tracker_db._engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert list(tracker_db.events_between(engine)) == []
    assert tracker_db.conversation_events(engine, "tg:1") == []


def test_the_url_comes_from_the_endpoints_rasa_runs_with(tmp_path, monkeypatch):
    monkeypatch.delenv(tracker_db.TRACKER_URL_ENV, raising=False)
    assert str(tracker_db.tracker_url()).endswith("/var/tracker.db")  # the project's default
    pg = tmp_path / "pg.yml"
    pg.write_text(
        "tracker_store:\n  type: seba.tracker_store.CachingSQLTrackerStore\n"
        "  dialect: postgresql\n  url: ${DB_HOST}\n  port: 5433\n  db: seba\n"
        "  username: seba\n  password: s3cret\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DB_HOST", "db.internal")
    url = tracker_db.tracker_url(pg)
    assert (url.drivername, url.host, url.port, url.database, url.password) == (
        "postgresql+psycopg2",
        "db.internal",
        5433,
        "seba",
        "s3cret",
    )
    memory = tmp_path / "memory.yml"
    memory.write_text("tracker_store:\n  type: InMemoryTrackerStore\n", encoding="utf-8")
    with pytest.raises(tracker_db.TrackerStoreUnsupported):
        tracker_db.tracker_url(memory)
    monkeypatch.setenv(tracker_db.TRACKER_URL_ENV, "sqlite:////tmp/x.db")
    assert tracker_db.tracker_url(memory) == "sqlite:////tmp/x.db"
