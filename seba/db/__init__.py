"""Database access: URL, cached engines, sessions, shop-local time.

``DATABASE_URL`` selects the database (SQLite or PostgreSQL via psycopg2); the default is
``sqlite:///<project>/var/shop.db``. All datetimes stored are naive shop-local time
(``hours.timezone`` in shop.yml, Asia/Dhaka).
"""

import datetime as dt
import functools
import logging
import os
import threading
from contextlib import contextmanager
from typing import Dict, Iterator, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from seba import PROJECT_ROOT

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
DEFAULT_TIMEZONE = "Asia/Dhaka"

_lock = threading.Lock()
_engines: Dict[str, Engine] = {}
_sessionmakers: Dict[str, sessionmaker] = {}


class ShopUnavailable(Exception):
    """The shop database cannot be reached (wraps SQLAlchemy's DBAPIError).

    Re-exported as ``seba.shop.ShopUnavailable``; actions catch it and apologise.
    """


def database_url() -> str:
    """``DATABASE_URL`` or the project's SQLite file (``var/`` is created)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style "postgres://" is not accepted by SQLAlchemy 1.4.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    return _default_url()


@functools.lru_cache(maxsize=1)
def _default_url() -> str:
    var = PROJECT_ROOT / "var"
    var.mkdir(exist_ok=True)
    return f"sqlite:///{var / 'shop.db'}"


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _create_engine(url: str) -> Engine:
    # hide_parameters: SQL errors would otherwise log the bound values (order number + phone).
    engine = _new_engine(url)
    engine.hide_parameters = True
    return engine


def _new_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        # A pool of open connections: SQLAlchemy 1.4's default for SQLite files opens and
        # closes one per session (and each close of the last one checkpoints the WAL).
        kwargs = {
            "connect_args": {"check_same_thread": False},
            "poolclass": QueuePool,
            "pool_size": 2,
            "max_overflow": 8,
        }
        if parsed.database in (None, "", ":memory:"):
            # One shared connection, otherwise every connection sees its own empty DB.
            kwargs = {"connect_args": {"check_same_thread": False}, "poolclass": StaticPool}
        engine = create_engine(url, future=True, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    if backend == "postgresql":
        # connect_timeout: an unreachable server fails fast instead of hanging an action.
        return create_engine(
            url, future=True, pool_pre_ping=True, connect_args={"connect_timeout": 5}
        )
    return create_engine(url, future=True, pool_pre_ping=True)


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for ``url`` (default: ``database_url()``), created once per URL."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _create_engine(url)
        return engine


def dispose_engines(url: Optional[str] = None) -> None:
    """Close pooled connections and forget the cached engine(s) (all when ``url`` is None)."""
    with _lock:
        urls = [url] if url else list(_engines)
        for key in urls:
            engine = _engines.pop(key, None)
            _sessionmakers.pop(key, None)
            if engine is not None:
                engine.dispose()


def _sessionmaker(url: Optional[str] = None) -> sessionmaker:
    url = url or database_url()
    engine = get_engine(url)
    with _lock:
        factory = _sessionmakers.get(url)
        if factory is None:
            # expire_on_commit=False: loaded attributes stay readable after session_scope ends.
            factory = _sessionmakers[url] = sessionmaker(
                bind=engine, future=True, expire_on_commit=False
            )
        return factory


def SessionLocal(url: Optional[str] = None) -> Session:  # noqa: N802 (conventional name)
    """A new Session bound to the engine for ``url``; the caller closes it."""
    return _sessionmaker(url)()


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A transactional scope: commit on success, rollback on error, always close.

    Database errors (unreachable server, locked file, missing tables) surface as
    ``ShopUnavailable``; other exceptions pass through unchanged.
    """
    session = SessionLocal(url)
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        _safe_rollback(session)
        logger.warning("shop database error: %s", exc)
        raise ShopUnavailable(str(exc.orig or exc)) from exc
    except BaseException:
        _safe_rollback(session)
        raise
    finally:
        session.close()


def _safe_rollback(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:  # the connection may be gone already
        pass


def shop_timezone() -> ZoneInfo:
    try:
        from seba.settings import load_settings

        name = load_settings().timezone
    except Exception:  # settings missing or broken: dates still need a clock
        name = DEFAULT_TIMEZONE
    return ZoneInfo(name)


def local_now() -> dt.datetime:
    """Current shop-local time, naive (how datetimes are stored)."""
    return dt.datetime.now(shop_timezone()).replace(tzinfo=None)


def local_today() -> dt.date:
    """Today's date in the shop's timezone: the default ``today`` everywhere."""
    return local_now().date()
