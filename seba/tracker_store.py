"""Rasa's SQL tracker store, keeping recently used conversations in memory.

Rasa's SQLTrackerStore rebuilds a conversation from every stored event on every
message (an ORM object, a JSON parse and an Event per row), so at turn 100 the
store took longer than everything else. This store keeps the tracker it just
saved; the next message of that conversation gets it back after one cheap check
that the database holds exactly what this process wrote last (the newest event id
and the event count). Anything else — another process answered in between, a
request failed before saving, a new session started — falls back to Rasa's own
retrieve, so several processes can share one database (deploy/endpoints.postgres.yml).

endpoints.yml: ``tracker_store: {type: seba.tracker_store.CachingSQLTrackerStore, dialect: ..., ...}``
"""

from collections import OrderedDict
from typing import Any, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

# (tracker, id of its newest stored event, number of events when saved)
_Entry = Tuple[DialogueStateTracker, int, int]


class CachingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: int = 1000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SQL errors must not log the bound values (customers' messages).
        self.engine.hide_parameters = True
        self._cache_size = int(cache_size)
        self._cache: "OrderedDict[str, _Entry]" = OrderedDict()

    def _newest_event_id(self, sender_id: Text) -> Optional[int]:
        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(
                self.SQLEvent.sender_id == sender_id
            ).scalar()

    def _stored_in_latest_session(self, sender_id: Text) -> int:
        """How many events Rasa's retrieve() returns (and save() counts) for this sender."""
        with self.session_scope() as session:
            return self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=False).count()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        entry = self._cache.pop(sender_id, None)
        if entry is not None:
            tracker, newest, length = entry
            if len(tracker.events) == length and self._newest_event_id(sender_id) == newest:
                self._cache[sender_id] = entry
                return tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._cache.pop(tracker.sender_id, None)
        await super().save(tracker)
        # Keep it only if it is exactly what retrieve() would build: after a new
        # session starts it still holds the old one, which save() would count wrong.
        if self._stored_in_latest_session(tracker.sender_id) != len(tracker.events):
            return
        newest = self._newest_event_id(tracker.sender_id)
        if newest is None:
            return
        self._cache[tracker.sender_id] = (tracker, newest, len(tracker.events))
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
