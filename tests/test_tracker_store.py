"""CachingSQLTrackerStore: the cache never hides what the database holds."""

import asyncio

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

from seba.tracker_store import CachingSQLTrackerStore

DOMAIN = Domain.empty()


def _store(db):
    return CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db))


def _texts(tracker):
    return [e.text for e in tracker.events if e.type_name == "user"]


def test_cached_tracker_is_what_the_database_holds(tmp_path):
    async def run():
        store = _store(tmp_path / "t.db")
        tracker = await store.get_or_create_tracker("c1")
        tracker.update(UserUttered("hi"))
        await store.save(tracker)
        again = await store.retrieve("c1")
        assert again is tracker  # served from the cache
        fresh = await _store(tmp_path / "t.db").retrieve("c1")
        assert [e.as_dict() for e in fresh.events] == [e.as_dict() for e in again.events]

    asyncio.run(run())


def test_another_process_writing_invalidates_the_cache(tmp_path):
    async def run():
        a, b = _store(tmp_path / "t.db"), _store(tmp_path / "t.db")
        tracker = await a.get_or_create_tracker("c1")
        tracker.update(UserUttered("from a"))
        await a.save(tracker)
        other = await b.retrieve("c1")
        other.update(UserUttered("from b"))
        await b.save(other)
        assert _texts(await a.retrieve("c1")) == ["from a", "from b"]

    asyncio.run(run())


def test_unsaved_changes_are_not_served(tmp_path):
    async def run():
        store = _store(tmp_path / "t.db")
        tracker = await store.get_or_create_tracker("c1")
        tracker.update(UserUttered("saved"))
        await store.save(tracker)
        cached = await store.retrieve("c1")
        cached.update(UserUttered("lost in a failed request"))
        assert _texts(await store.retrieve("c1")) == ["saved"]

    asyncio.run(run())


def test_a_new_session_is_stored_once(tmp_path):
    async def run():
        store = _store(tmp_path / "t.db")
        tracker = await store.get_or_create_tracker("c1")
        tracker.update(UserUttered("old session"))
        await store.save(tracker)
        tracker = await store.retrieve("c1")
        for event in (
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("new session"),
        ):
            tracker.update(event)
        await store.save(tracker)
        tracker = await store.retrieve("c1")
        tracker.update(UserUttered("next"))
        await store.save(tracker)
        full = await _store(tmp_path / "t.db").retrieve_full_tracker("c1")
        assert _texts(full) == ["old session", "new session", "next"]

    asyncio.run(run())


def _rows(db):
    import sqlite3

    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM events").fetchone()[0]


def test_saves_append_only_the_new_events(tmp_path, monkeypatch):
    """A hundred turns: each save writes its own events once, and never counts or rereads
    the conversation (Rasa's count-based save is not used while the store keeps it)."""

    async def run():
        store = _store(tmp_path / "t.db")
        monkeypatch.setattr(type(store).__mro__[1], "save", _fail)  # SQLTrackerStore.save
        tracker = await store.get_or_create_tracker("c1")
        for turn in range(100):
            tracker = await store.retrieve("c1") or tracker
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(f"turn {turn}"))
            await store.save(tracker)
        assert _rows(tmp_path / "t.db") == 1 + 200  # the new tracker's action_listen + 2 a turn
        fresh = await _store(tmp_path / "t.db").retrieve("c1")
        assert _texts(fresh) == [f"turn {n}" for n in range(100)]

    async def _fail(*_args, **_kwargs):
        raise AssertionError("Rasa's count-based save was used")

    asyncio.run(run())


def test_the_database_runs_in_wal_mode(tmp_path):
    import sqlite3

    async def run():
        store = _store(tmp_path / "t.db")
        tracker = await store.get_or_create_tracker("c1")
        tracker.update(UserUttered("hi"))
        await store.save(tracker)

    asyncio.run(run())
    with sqlite3.connect(tmp_path / "t.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_on_postgresql_another_process_writing_is_still_seen(postgres_url):
    async def run():
        a = CachingSQLTrackerStore(DOMAIN, **_postgres(postgres_url))
        b = CachingSQLTrackerStore(DOMAIN, **_postgres(postgres_url))
        tracker = await a.get_or_create_tracker("c2")
        tracker.update(UserUttered("from a"))
        await a.save(tracker)
        other = await b.retrieve("c2")
        other.update(UserUttered("from b"))
        await b.save(other)
        tracker.update(UserUttered("a again"))  # a's kept copy is stale now
        await a.save(tracker)  # falls back to Rasa's count-based save: b's event stays
        assert "from b" in _texts(await a.retrieve("c2"))
        assert _texts(await _fresh(postgres_url, "c2"))[:2] == ["from a", "from b"]

    asyncio.run(run())


def _postgres(url):
    from sqlalchemy.engine import make_url

    parts = make_url(url)
    return {
        "dialect": "postgresql",
        "host": parts.host,
        "port": parts.port,
        "db": parts.database,
        "username": parts.username,
        "password": parts.password or "",
    }


async def _fresh(url, sender_id):
    return await CachingSQLTrackerStore(DOMAIN, **_postgres(url)).retrieve(sender_id)


class _Broker:
    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


def test_an_event_broker_gets_each_event_once(tmp_path):
    """From the events this store appends (no re-read of the conversation per save), and
    without repeats when another process wrote in between and Rasa's own save takes over."""

    async def run():
        broker = _Broker()
        a = CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
        a.event_broker = broker
        tracker = await a.get_or_create_tracker("c1")
        tracker.update(UserUttered("one"))
        await a.save(tracker)
        tracker.update(UserUttered("two"))
        await a.save(tracker)
        other = await _store(tmp_path / "t.db").retrieve("c1")
        other.update(UserUttered("from b"))
        await _store(tmp_path / "t.db").save(other)
        tracker.update(UserUttered("three"))
        texts = [e.get("text") for e in broker.published if e.get("event") == "user"]
        assert texts == ["one", "two"]
        await a.save(tracker)  # a's copy is stale: Rasa's save streams as Rasa does
        texts = [e.get("text") for e in broker.published if e.get("event") == "user"]
        assert texts[:2] == ["one", "two"] and len(texts) == len(set(texts))

    asyncio.run(run())


def test_on_postgresql_a_message_is_one_statement_to_check_and_one_to_save(postgres_url):
    """The check of the kept copy and the guarded append are single statements outside a
    transaction (autocommit): no BEGIN, COMMIT or ROLLBACK round trips around them."""
    import sqlalchemy as sa

    async def run():
        store = CachingSQLTrackerStore(DOMAIN, **_postgres(postgres_url))
        tracker = await store.get_or_create_tracker("c4")
        statements = []

        def seen(connection, _cursor, statement, *_args):
            # psycopg2 sends no BEGIN (so nothing to COMMIT or ROLLBACK) in autocommit mode.
            statements.append((statement.split()[0], connection.connection.autocommit))

        sa.event.listen(store.engine, "before_cursor_execute", seen)
        for turn in range(3):
            tracker = await store.retrieve("c4")
            tracker.update(UserUttered(f"turn {turn}"))
            await store.save(tracker)
        assert statements == [("SELECT", True), ("INSERT", True)] * 3
        assert _texts(await _fresh(postgres_url, "c4")) == ["turn 0", "turn 1", "turn 2"]

    asyncio.run(run())


def test_on_postgresql_the_check_is_an_index_lookup_whatever_the_history(postgres_url):
    """With Rasa's sender_id index alone, PostgreSQL answers ``max(id) WHERE sender_id`` by
    walking the primary key backwards — through the whole table for a new conversation."""
    import sqlalchemy as sa

    store = CachingSQLTrackerStore(DOMAIN, **_postgres(postgres_url))
    CachingSQLTrackerStore(DOMAIN, **_postgres(postgres_url))  # a second process: no error
    with store.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "SELECT 'history-' || (g % 500), 'user', g, '{}' "
                "FROM generate_series(1, 20000) g"
            )
        )
        connection.execute(sa.text("ANALYZE events"))
        plan = " ".join(
            row[0]
            for row in connection.execute(
                sa.text("EXPLAIN " + store._NEWEST.text), {"sender_id": "a-new-customer"}
            )
        )
    assert "ix_events_sender_id_id" in plan and "Filter" not in plan, plan
