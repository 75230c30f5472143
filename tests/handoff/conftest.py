"""Fixtures for the handoff tests: a migrated handoff database, agents, known agent hours,
and real processes (the console; for the slow tests also the real Rasa server).

No fakes of Rasa: tests that need Rasa start the real server with the trained model
(``models/seba.tar.gz``) through ``tests.servers``.
"""

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from handoff import agents, migrate
from handoff.db import dispose
from tests.handoff.helpers import PASSWORD, Console, FakeClock, InProcessConsole, start_console
from tests.servers import MODEL, ROOT, free_port, start_rasa_stack


@pytest.fixture
def shop_settings(tmp_path, monkeypatch) -> Path:
    """A copy of shop.yml with known agent hours (and no handoff section)."""
    raw = yaml.safe_load((ROOT / "shop.yml").read_text(encoding="utf-8"))
    raw["hours"]["agents"] = {"open": "10:00", "close": "20:00", "closed_days": ["friday"]}
    raw.pop("handoff", None)
    path = tmp_path / "shop.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SEBA_SHOP_SETTINGS", str(path))
    return path


def _migrated(path: Path) -> str:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def handoff_url(tmp_path, monkeypatch, shop_settings) -> str:
    """A fresh, migrated SQLite handoff database; HANDOFF_DATABASE_URL points at it."""
    url = _migrated(tmp_path / "handoff.db")
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    monkeypatch.delenv("HANDOFF_ABANDON_AFTER_MINUTES", raising=False)
    monkeypatch.delenv("HANDOFF_RATING_WINDOW_MINUTES", raising=False)
    yield url
    dispose(url)


@pytest.fixture
def pg_handoff_url(request, shop_settings, monkeypatch):
    """A fresh database on the throwaway PostgreSQL server (tests/conftest.py)."""
    import time

    import psycopg2
    from sqlalchemy.engine import make_url

    server_url = request.getfixturevalue("postgres_url")
    name = f"handoff_{int(time.time() * 1000) % 10**9}"
    server = make_url(server_url)
    conn = psycopg2.connect(
        host=server.host, port=server.port, user=server.username, dbname="postgres"
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    conn.close()
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    yield url
    dispose(url)


@pytest.fixture
def two_agents(handoff_url):
    rina = agents.create_agent("rina", "রিনা", PASSWORD, url=handoff_url)
    karim = agents.create_agent("karim", "Karim", PASSWORD, url=handoff_url)
    return rina, karim


@pytest.fixture
def console(tmp_path, handoff_url, two_agents, shop_settings):
    """The console on a free port over a fresh database; Rasa deliberately unreachable."""
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    server = start_console(
        tmp_path,
        handoff_url,
        {
            "RASA_URL": dead_rasa,
            "SEBA_SHOP_SETTINGS": str(shop_settings),
        },
    )
    try:
        yield Console(f"http://127.0.0.1:{server.port}", handoff_url, server)
    finally:
        server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_console(handoff_url, db_url, clock, shop_settings, monkeypatch):
    """``make_console(**create_app options)``: the console app in this process, on the
    handoff database and a demo shop database (``db_url``), with the test's clock; Rasa
    deliberately unreachable."""
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("HANDOFF_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("HANDOFF_COOKIE_SECURE", raising=False)
    started = []

    def make(**options) -> InProcessConsole:
        shop_url = options.pop("shop_url", db_url)
        started.append(InProcessConsole(handoff_url, shop_url, clock, **options).start())
        return started[-1]

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def app_console(make_console, two_agents) -> InProcessConsole:
    return make_console()


# --- the real Rasa server + the console (slow tests) -----------------------------------------


@dataclass
class Stack:
    rasa: object  # tests.servers.RasaStack
    console: Console
    db_url: str


@pytest.fixture(scope="module")
def rasa_console(tmp_path_factory, shop_db_module):
    """Real action server + Rasa server (trained model) + console, sharing one handoff DB."""
    import tests.servers

    # Development aids: HANDOFF_TEST_RASA_MODEL tries these tests with another trained model;
    # HANDOFF_TEST_WITH_ACTIONS=0 starts no action server.
    model = Path(os.environ.get("HANDOFF_TEST_RASA_MODEL") or MODEL)
    if not model.exists():
        pytest.skip(f"no trained model at {model} (make train)")
    workdir = tmp_path_factory.mktemp("handoff-stack")
    db_url = _migrated(workdir / "handoff.db")
    agents.create_agent("rina", "রিনা", PASSWORD, url=db_url)
    agents.create_agent("karim", "Karim", PASSWORD, url=db_url)
    env = {"DATABASE_URL": shop_db_module, "HANDOFF_DATABASE_URL": db_url}
    with ExitStack() as stack, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HANDOFF_DATABASE_URL", db_url)
        mp.setattr(tests.servers, "MODEL", model)
        rasa = start_rasa_stack(
            stack,
            workdir / "rasa",
            env=env,
            with_actions=os.environ.get("HANDOFF_TEST_WITH_ACTIONS", "1") != "0",
        )
        server = start_console(
            workdir,
            db_url,
            {
                **env,
                "RASA_URL": rasa.url,
                "HANDOFF_SYNC_SECONDS": "1",
            },
        )
        stack.callback(server.stop)
        yield Stack(rasa, Console(f"http://127.0.0.1:{server.port}", db_url, server), db_url)
    dispose(db_url)
