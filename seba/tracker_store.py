"""Rasa's SQL tracker store, with the conversations in use kept in memory and saves that
only append.

Rasa's SQLTrackerStore rebuilds a conversation from every stored event on every message
(an ORM object, a JSON parse and an Event per row) and, on every save, counts the stored
events of the session to find which ones are new — both grow with the conversation. This
store keeps each tracker it handed out or saved, with how many of its events are stored and
the id of the newest one:

* ``retrieve`` returns the kept tracker after one indexed query (the newest event id of the
  conversation) shows that the database holds exactly what this process wrote last;
* ``save`` appends only the events after the stored ones, with the same check in the same
  transaction — nothing is counted, nothing rewritten; a message costs the same at turn 100
  as at turn 1.

Anything else — another process wrote in between, a save failed, the conversation is not
kept — falls back to Rasa's own retrieve and save, so several processes can share one
database (deploy/endpoints.postgres.yml). Every save is committed before the reply leaves,
as before: a crash (kill -9) loses nothing that was answered. On SQLite the database runs in
WAL mode with ``synchronous=NORMAL`` (durable across process crashes; readers never wait
for the writer). On PostgreSQL the check and the append are one autocommit statement each
(the append guarded by the check: ``INSERT … SELECT … WHERE newest = expected``), and the
store adds the index on ``events (sender_id, id)`` the check needs.

endpoints.yml:
``tracker_store: {type: seba.tracker_store.CachingSQLTrackerStore, dialect: ..., ...}``
"""

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm.session
import sqlalchemy.pool
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

#: ``_append`` found that another process wrote to the conversation since this one did.
_CHANGED = object()


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    stored: int  # how many of tracker.events are in the database
    newest: Optional[int]  # id of the newest stored event of the conversation


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class CachingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: int = 1000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes an SQLite file connection per session (NullPool):
            # each close of the last connection checkpoints the WAL. Keep connections open.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url,
                poolclass=sa.pool.QueuePool,
                pool_size=2,
                max_overflow=8,
                connect_args={"check_same_thread": False},
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # SQL errors must not log the bound values (customers' messages).
        self.engine.hide_parameters = True
        # A single statement needs no transaction of its own: on PostgreSQL, autocommit saves
        # psycopg2's BEGIN and the ROLLBACK on return — two of the three round trips of a check.
        self._postgres = self.engine.dialect.name == "postgresql"
        self._single = self.engine  # runs single statements
        if self._postgres:
            self._single = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._index_newest_event()
        self._cache_size = int(cache_size)
        self._cache: "OrderedDict[str, _Kept]" = OrderedDict()

    # Plain SQL Core statements, compiled once: the ORM's query building was most of the
    # store's remaining cost per message.
    _NEWEST = sa.text("SELECT max(id) FROM events WHERE sender_id = :sender_id")

    # Rasa indexes sender_id alone. For ``max(id) WHERE sender_id`` PostgreSQL then walks the
    # primary key backwards, filtering: past every newer event of other conversations, and
    # through the whole table for a new conversation (50 ms at 200,000 events, growing with
    # the shop's history). With (sender_id, id) it is one index lookup. SQLite's sender_id
    # index already holds the rowid (= id) after the key.
    _NEWEST_INDEX = sa.text(
        "CREATE INDEX IF NOT EXISTS ix_events_sender_id_id ON events (sender_id, id)"
    )

    def _index_newest_event(self) -> None:
        if not self._postgres:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(self._NEWEST_INDEX)
        except sa.exc.DBAPIError as error:  # another process creating it at the same moment
            logger.warning("Could not create the index of events by conversation: %s", error)

    def _newest_event_id(self, sender_id: Text) -> Optional[int]:
        with self._single.connect() as connection:
            return connection.execute(self._NEWEST, {"sender_id": sender_id}).scalar()

    def _keep(self, entry: _Kept) -> None:
        self._cache[entry.tracker.sender_id] = entry
        self._cache.move_to_end(entry.tracker.sender_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        entry = self._cache.get(sender_id)
        if entry is not None:
            if (
                len(entry.tracker.events) == entry.stored
                and self._newest_event_id(sender_id) == entry.newest
            ):
                self._cache.move_to_end(sender_id)
                return entry.tracker
            del self._cache[sender_id]
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # What Rasa rebuilt is exactly the stored latest session.
            self._keep(_Kept(tracker, len(tracker.events), self._newest_event_id(sender_id)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        entry = self._cache.pop(tracker.sender_id, None)
        if entry is not None and entry.tracker is tracker:
            start, expected = entry.stored, entry.newest  # this process wrote all before it
        elif entry is None:
            start, expected = 0, None  # a new conversation, if the database agrees
        else:
            await super().save(tracker)  # Rasa's own count-based save
            return
        new_events = list(tracker.events)[start:]
        newest = self._append(tracker.sender_id, new_events, expected)
        if newest is _CHANGED:
            await super().save(tracker)  # another process wrote: Rasa's own save (and stream)
            return
        if self.event_broker is not None:  # exactly what was written, once
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        self._keep(_Kept(tracker, len(tracker.events), newest))

    def _append(self, sender_id: Text, events: List[Event], expected: Optional[int]) -> Any:
        """In one transaction: check that the conversation's newest stored event is still
        ``expected`` (else nothing is written and ``_CHANGED`` returned), insert the events,
        and return the id of the newest one."""
        if not events:  # nothing to write: the check alone, one statement
            newest = self._newest_event_id(sender_id)
            return newest if newest == expected else _CHANGED
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {})
                    .get("intent", {})
                    .get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                }
            )
        if self._postgres:
            return self._append_guarded(sender_id, rows, expected)
        with self.engine.begin() as connection:
            if connection.execute(self._NEWEST, {"sender_id": sender_id}).scalar() != expected:
                return _CHANGED
            connection.execute(self.SQLEvent.__table__.insert(), rows)  # one executemany
            return connection.execute(self._NEWEST, {"sender_id": sender_id}).scalar()

    def _append_guarded(self, sender_id: Text, rows: List[dict], expected: Optional[int]) -> Any:
        """``_append`` as one statement (PostgreSQL): insert the rows only where the
        conversation's newest event is still ``expected``, returning the new ids — one round
        trip instead of five (BEGIN, check, insert, newest, COMMIT), and as atomic."""
        table = self.SQLEvent.__table__
        names = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
        new = sa.values(*(sa.column(n, table.c[n].type) for n in names), name="new").data(
            [tuple(row[n] for n in names) for row in rows]
        )
        newest = (
            sa.select(sa.func.max(table.c.id))
            .where(table.c.sender_id == sender_id)
            .scalar_subquery()
        )
        unchanged = newest.is_(None) if expected is None else newest == expected
        insert = table.insert().from_select(names, sa.select(new).where(unchanged))
        with self._single.connect() as connection:
            ids = connection.execute(insert.returning(table.c.id)).scalars().all()
        return max(ids) if ids else _CHANGED
