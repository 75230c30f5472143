"""The owner's report: how the shop's chats went over a range of days.

Computed on request from Rasa's tracker store and the handoff tables, never from a copy:

| module | what |
|---|---|
| ``dates`` | the date range from the page's fields (garbage, reversed, too long: a polite notice) |
| ``reading`` | reading the tracker store (``seba.tracker_db``) and the handoff tables |
| ``conversations`` | Rasa sessions + tickets -> conversations and their outcome (the definitions) |
| ``figures`` | the tables, summary and chart data |
| ``csv_export`` | a table as CSV for Excel (BOM, formula injection neutralised) |

    report = build_report(DateRange(first, last), tracker_engine(), handoff_url)

Reading the tracker store is the slow part, so its result is kept per date range in a
small cache, keyed also by the events table's largest id and row count: any event Rasa
stores makes the next report read again. The handoff tables (small, and changing without
new rows: a claim, a rating) are read every time.
"""

import datetime as dt
import threading
import time
from collections import OrderedDict
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy.engine import Engine

from handoff.db import to_epoch
from handoff.report import reading
from handoff.report.conversations import assemble
from handoff.report.dates import DateRange
from handoff.report.figures import Report, compute

#: How far outside the range events are read: before, to tell a conversation that began
#: the day before from a new one; after, for what became of the range's last conversations.
LOOKBACK = dt.timedelta(days=1)
LOOKAHEAD = dt.timedelta(days=1)

Sessions = Dict[str, List[reading.Session]]


class SessionCache:
    """The sessions read for a window, per (window, events fingerprint); a few windows."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: "OrderedDict[tuple, Tuple[Sessions, Set[str]]]" = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Optional[Tuple[Sessions, Set[str]]]:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
            return found

    def put(self, key: tuple, value: Tuple[Sessions, Set[str]]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _sessions(
    engine: Engine,
    start: dt.datetime,
    end: dt.datetime,
    since: dt.datetime,
    cache: Optional[SessionCache],
) -> Tuple[Sessions, Set[str]]:
    key = (
        (str(engine.url), start.isoformat(), end.isoformat(), reading.event_fingerprint(engine))
        if cache is not None
        else None
    )
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    sessions = reading.read_sessions(engine, start, end)
    # Senders whose first events read continue a session older than the window: only
    # those whose conversation would otherwise count in the range need asking.
    leading = [
        sender
        for sender, mine in sessions.items()
        if mine[0].leading and mine[0].messages and mine[0].messages[0].at >= since.timestamp()
    ]
    earlier = reading.senders_before(engine, leading, start) if leading else set()
    if cache is not None:
        cache.put(key, (sessions, earlier))
    return sessions, earlier


def build_report(
    date_range: DateRange,
    tracker: Engine,
    handoff_url: Optional[str] = None,
    cache: Optional[SessionCache] = None,
) -> Report:
    started = time.perf_counter()
    since, until = date_range.since(), date_range.until()
    start, end = since - LOOKBACK, until + LOOKAHEAD
    sessions, earlier = _sessions(tracker, start, end, since, cache)
    naive = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    tickets = reading.read_tickets(naive["start"], naive["end"], url=handoff_url)
    ratings = reading.read_bot_ratings(naive["start"], naive["end"], url=handoff_url)
    conversations, unmatched = assemble(
        sessions,
        tickets,
        ratings,
        to_epoch(since.replace(tzinfo=None)),
        to_epoch(until.replace(tzinfo=None)),
        earlier,
    )
    report = compute(conversations, date_range, unmatched)
    report.seconds = time.perf_counter() - started
    return report
