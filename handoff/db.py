"""Engine, sessions and clock for the handoff tables.

The engine comes from ``seba.db.get_engine`` (one cached engine per URL, SQLite pragmas:
WAL, busy timeout, foreign keys). Sessions here do not use ``seba.db.session_scope`` on
purpose: that one turns every database error into ``ShopUnavailable``, and the queue must
see an ``IntegrityError`` from the one-open-ticket index to answer idempotently.

Datetimes are stored naive, in shop-local time (like the shop's tables): ``local_now()``.
"""

import datetime as dt
import threading
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handoff.config import database_url
from seba.db import get_engine as _shop_get_engine
from seba.db import local_now as _shop_local_now
from seba.db import shop_timezone

_lock = threading.Lock()
_factories: Dict[str, sessionmaker] = {}


class HandoffUnavailable(Exception):
    """The handoff database cannot be used (unreachable, locked, not migrated)."""


def get_engine(url: Optional[str] = None) -> Engine:
    return _shop_get_engine(url or database_url())


def _factory(url: str) -> sessionmaker:
    with _lock:
        factory = _factories.get(url)
        if factory is None:
            factory = _factories[url] = sessionmaker(
                bind=get_engine(url), future=True, expire_on_commit=False
            )
        return factory


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """Commit on success, roll back on error. ``IntegrityError`` passes through unchanged;
    other database errors become ``HandoffUnavailable``."""
    session = _factory(url or database_url())()
    try:
        yield session
        session.commit()
    except IntegrityError:
        session.rollback()
        raise
    except DBAPIError as exc:
        try:
            session.rollback()
        except DBAPIError:
            pass
        raise HandoffUnavailable(str(exc.orig or exc)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def local_now() -> dt.datetime:
    return _shop_local_now()


def as_local(moment: Optional[dt.datetime]) -> dt.datetime:
    """``moment`` as naive shop-local time (aware datetimes are converted; None is now)."""
    if moment is None:
        return local_now()
    if moment.tzinfo is not None:
        return moment.astimezone(shop_timezone()).replace(tzinfo=None)
    return moment


def to_epoch(moment: Optional[dt.datetime]) -> Optional[float]:
    """A stored (naive shop-local) datetime as a Unix timestamp, like Rasa's event times."""
    if moment is None:
        return None
    return moment.replace(tzinfo=shop_timezone()).timestamp()


def from_epoch(timestamp: float) -> dt.datetime:
    """A Unix timestamp (Rasa event time) as naive shop-local time."""
    return dt.datetime.fromtimestamp(timestamp, shop_timezone()).replace(tzinfo=None)


def dispose(url: Optional[str] = None) -> None:
    """Close pooled connections and forget the engine/sessions for ``url`` (all when None)."""
    from seba.db import dispose_engines

    with _lock:
        if url is None:
            _factories.clear()
        else:
            _factories.pop(url, None)
    dispose_engines(url)
