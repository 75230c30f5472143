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
        for event in (ActionExecuted("action_session_start"), SessionStarted(),
                      ActionExecuted("action_listen"), UserUttered("new session")):
            tracker.update(event)
        await store.save(tracker)
        tracker = await store.retrieve("c1")
        tracker.update(UserUttered("next"))
        await store.save(tracker)
        full = await _store(tmp_path / "t.db").retrieve_full_tracker("c1")
        assert _texts(full) == ["old session", "new session", "next"]
    asyncio.run(run())
