"""Shared fixtures: demo shop databases on SQLite, and a throwaway PostgreSQL server.

- ``demo_today``: the ``today`` the demo data was loaded with (the shop-local date when the run
  started, so that code defaulting to "today" sees the contract orders as specified).
- ``db_url``: a fresh SQLite file (migrated, demo data) per test; ``db_session`` a Session on it.
- ``shop_db``: ``db_url`` with ``DATABASE_URL`` set, for code that reads the environment.
- ``shop_db_module``: the same for a whole module (e.g. servers started once per module).
- ``postgres_url``: an empty database on a PostgreSQL server started for the session.
"""

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from seba.db import SessionLocal, dispose_engines, local_today, session_scope
from seba.db.demo_data import load_demo_data
from seba.db.migrate import upgrade
from seba.settings import load_settings

DEMO_TODAY = local_today()

# The installation's secrets (seba/secrets.py), fixed for the test run: servers started by
# the tests inherit them, and nothing reads the developer's var/secrets.env.
TEST_SECRETS = {
    "RASA_JWT_SECRET": "test-jwt-secret-0123456789abcdef0123456789",
    "SEBA_ACTION_SECRET": "test-action-secret-0123456789abcdef",
    "SEBA_SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
}
for _name, _value in TEST_SECRETS.items():
    os.environ[_name] = _value


@pytest.fixture(scope="session")
def demo_today():
    return DEMO_TODAY


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session")
def demo_template_db(tmp_path_factory) -> Path:
    """A migrated SQLite demo database built once; tests get copies of it."""
    path = tmp_path_factory.mktemp("demo-template") / "shop.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with session_scope(url) as session:
        load_demo_data(session, today=DEMO_TODAY)
    dispose_engines(url)
    return path


def copy_demo_db(template: Path, target: Path) -> str:
    """Copy the template (SQLite backup API, safe with WAL) and return its URL."""
    source, dest = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()
    return f"sqlite:///{target}"


@pytest.fixture
def db_url(demo_template_db, tmp_path):
    url = copy_demo_db(demo_template_db, tmp_path / "shop.db")
    yield url
    dispose_engines(url)


@pytest.fixture
def db_session(db_url):
    session = SessionLocal(db_url)
    yield session
    session.close()


@pytest.fixture
def shop_db(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


@pytest.fixture(scope="module")
def shop_db_module(demo_template_db, tmp_path_factory):
    url = copy_demo_db(demo_template_db, tmp_path_factory.mktemp("shop-db") / "shop.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        yield url
    dispose_engines(url)


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url():
    """Start a throwaway PostgreSQL server; yields the URL of an empty database ``seba``."""
    from tests.pg import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as reason:
        pytest.skip(str(reason))
    try:
        yield server.create_database("seba")
    finally:
        dispose_engines()
        server.destroy()


# -- Redis (Rasa's lock store with several workers or processes) -----------------------------


def redis_ping(port: int) -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A throwaway redis-server on a free loopback port (``.port``), nothing on disk."""
    from tests.servers import Server, free_port

    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server not installed (Debian package redis-server)")
    port = free_port()
    server = Server(
        "redis",
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        tmp_path_factory.mktemp("redis") / "redis.log",
    )
    server.port = port  # type: ignore[attr-defined]
    try:
        for _ in range(100):
            if redis_ping(port):
                break
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


# -- the far side of Telegram's Bot API and Facebook's Graph API (tests/channels/fakes.py) --


@pytest.fixture(scope="module")
def fake_telegram():
    from tests.channels.fakes import FakeTelegram

    api = FakeTelegram().start_in_thread()
    yield api
    api.stop_thread()


@pytest.fixture(scope="module")
def fake_graph():
    from tests.channels.fakes import FakeGraph

    api = FakeGraph().start_in_thread()
    yield api
    api.stop_thread()
