"""What training computed once, kept across trainings: one SQLite file, one table per kind.

The e5 embeddings (``e5.DiskCache``) and the Banglish readings (``transliterate.ReadingCache``)
are both a slow function of one training example's text; each kind keys its values by a hash
of what it depends on, so a retrain after a change computes only the new examples. The file
is ``.rasa/seba-e5-cache.sqlite`` beside Rasa's own cache (``SEBA_E5_CACHE`` moves it).
"""

import contextlib
import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Dict, Generic, Iterable, Iterator, Optional, TypeVar

from seba import PROJECT_ROOT

Value = TypeVar("Value")
#: SQLite's default cap on the variables of one statement is 999.
_CHUNK = 500


def default_path() -> Path:
    return Path(os.environ.get("SEBA_E5_CACHE") or PROJECT_ROOT / ".rasa" / "seba-e5-cache.sqlite")


class KeyedTable(Generic[Value]):
    """One table of ``key -> value`` in the training cache; values are text or bytes."""

    def __init__(self, table: str, column: str, path: Optional[Path] = None) -> None:
        self.path = Path(path or default_path())
        self._table = table
        self._column = column
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One connection, committed on success and closed either way (sqlite3's own
        ``with connection`` commits but leaves it open)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, contextlib.closing(sqlite3.connect(self.path, timeout=30)) as db:
            with db:
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table}"
                    f" (key TEXT PRIMARY KEY, {self._column} NOT NULL)"
                )
                yield db

    def get_many(self, keys: Iterable[str]) -> Dict[str, Value]:
        items = list(dict.fromkeys(keys))
        found: Dict[str, Value] = {}
        with self._transaction() as connection:
            for start in range(0, len(items), _CHUNK):
                chunk = items[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(
                    connection.execute(
                        f"SELECT key, {self._column} FROM {self._table} WHERE key IN ({marks})",
                        chunk,
                    )
                )
        return found

    def put_many(self, values: Dict[str, Value]) -> None:
        if not values:
            return
        with self._transaction() as connection:
            connection.executemany(
                f"INSERT OR REPLACE INTO {self._table} (key, {self._column}) VALUES (?, ?)",
                values.items(),
            )
