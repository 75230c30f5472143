"""Read Rasa's tracker store (its SQL ``events`` table) directly, for reports and review.

The console's review and report pages read conversations in bulk: through Rasa's HTTP API
that would be one request per conversation. The tracker store is Rasa's SQL store
(``endpoints.yml`` ``tracker_store``: SQLite by default, PostgreSQL in deploy/), so this
module finds it from the same endpoints file Rasa runs with and reads the rows, read-only.

    engine = tracker_engine()                       # SEBA_ENDPOINTS or endpoints.yml
    for row in events_between(engine, since, until, types=("user", "bot")): ...
    conversation_events(engine, "tg:12345")         # one conversation, in order

Rows are ``EventRow(id, sender_id, type_name, timestamp, intent_name, action_name, data)``
with ``data`` the event's dict (as Rasa stored it). Phone numbers in texts are NOT masked
here: whoever shows them to people masks them (``seba.text.mask_phones``).
"""

import datetime as dt
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import URL, Engine

from seba import PROJECT_ROOT

ENDPOINTS_ENV = "SEBA_ENDPOINTS"
TRACKER_URL_ENV = "SEBA_TRACKER_URL"  # an SQLAlchemy URL; wins over the endpoints file
_PAGE = 5000


class TrackerStoreUnsupported(Exception):
    """The endpoints file names a tracker store that is not SQL (or none)."""


@dataclass(frozen=True)
class EventRow:
    id: int
    sender_id: str
    type_name: str
    timestamp: float
    intent_name: Optional[str]
    action_name: Optional[str]
    data: Dict[str, Any]

    @property
    def moment(self) -> dt.datetime:
        """Naive shop-local time (the machine's zone, like the rest of Seba)."""
        return dt.datetime.fromtimestamp(self.timestamp)


def _expand(value: Any) -> Any:
    return os.path.expandvars(value) if isinstance(value, str) else value


def tracker_url(endpoints: Union[str, Path, None] = None) -> Union[str, URL]:
    """The SQLAlchemy URL of the tracker store Rasa uses (``SEBA_TRACKER_URL`` if set)."""
    if os.environ.get(TRACKER_URL_ENV):
        return os.environ[TRACKER_URL_ENV]
    path = Path(endpoints or os.environ.get(ENDPOINTS_ENV) or PROJECT_ROOT / "endpoints.yml")
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    store = {k: _expand(v) for k, v in (cfg.get("tracker_store") or {}).items()}
    kind = str(store.get("type", "")).lower()
    if not (kind == "sql" or kind.endswith("trackerstore") and "sql" in kind):
        raise TrackerStoreUnsupported(
            f"{path}: tracker_store type {store.get('type')!r} is "
            "not an SQL store; set SEBA_TRACKER_URL"
        )
    dialect = store.get("dialect", "sqlite")
    if dialect == "sqlite":
        db = Path(store.get("db", "rasa.db"))
        return f"sqlite:///{db if db.is_absolute() else PROJECT_ROOT / db}"
    drivername = "postgresql+psycopg2" if dialect in ("postgresql", "postgres") else dialect
    return URL.create(
        drivername,
        username=store.get("username"),
        password=store.get("password") or None,
        host=store.get("url"),
        port=int(store["port"]) if store.get("port") else None,
        database=store.get("db"),
    )


@functools.lru_cache(maxsize=8)
def _engine(url: Union[str, URL]) -> Engine:
    return sa.create_engine(url, hide_parameters=True, pool_pre_ping=True)


def tracker_engine(endpoints: Union[str, Path, None] = None) -> Engine:
    return _engine(tracker_url(endpoints))


def _rows(result: Iterable[Any]) -> List[EventRow]:
    return [
        EventRow(
            r.id,
            r.sender_id,
            r.type_name,
            float(r.timestamp or 0.0),
            r.intent_name,
            r.action_name,
            json.loads(r.data) if r.data else {},
        )
        for r in result
    ]


_EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("intent_name"),
    sa.column("action_name"),
    sa.column("data"),
)


def events_between(
    engine: Engine,
    since: Optional[dt.datetime] = None,
    until: Optional[dt.datetime] = None,
    types: Optional[Sequence[str]] = None,
) -> Iterator[EventRow]:
    """Events with ``since <= time < until`` (naive local times), in storage order, read in
    pages so that a long range does not sit in memory at once. No events table yet (Rasa
    has not stored anything): nothing."""
    if not sa.inspect(engine).has_table("events"):
        return
    last_id = 0
    while True:
        query = sa.select(_EVENTS).where(_EVENTS.c.id > last_id).order_by(_EVENTS.c.id).limit(_PAGE)
        if since is not None:
            query = query.where(_EVENTS.c.timestamp >= since.timestamp())
        if until is not None:
            query = query.where(_EVENTS.c.timestamp < until.timestamp())
        if types:
            query = query.where(_EVENTS.c.type_name.in_(list(types)))
        with engine.connect() as connection:
            page = _rows(connection.execute(query))
        yield from page
        if len(page) < _PAGE:
            return
        last_id = page[-1].id


def conversation_events(
    engine: Engine, sender_id: str, types: Optional[Sequence[str]] = None
) -> List[EventRow]:
    """Every stored event of one conversation, oldest first."""
    if not sa.inspect(engine).has_table("events"):
        return []
    query = sa.select(_EVENTS).where(_EVENTS.c.sender_id == sender_id).order_by(_EVENTS.c.id)
    if types:
        query = query.where(_EVENTS.c.type_name.in_(list(types)))
    with engine.connect() as connection:
        return _rows(connection.execute(query))
