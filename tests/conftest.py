"""Shared fixtures: demo shop databases on SQLite, and a throwaway PostgreSQL server.

- ``demo_today``: the ``today`` the demo data was loaded with (the shop-local date when the run
  started, so that code defaulting to "today" sees the contract orders as specified).
- ``db_url``: a fresh SQLite file (migrated, demo data) per test; ``db_session`` a Session on it.
- ``shop_db``: ``db_url`` with ``DATABASE_URL`` set, for code that reads the environment.
- ``shop_db_module``: the same for a whole module (e.g. servers started once per module).
- ``postgres_url``: an empty database on a PostgreSQL server started for the session.
"""

import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional

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

def _postgres_bin_dir() -> Optional[Path]:
    """The directory with initdb, pg_ctl and postgres (PATH first, then Debian's layout)."""
    candidates = []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(os.path.realpath(found)).parent)

    def version(path: str) -> float:
        try:
            return float(Path(path).parts[-3])
        except ValueError:
            return 0.0

    for pg_ctl in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version, reverse=True):
        candidates.append(Path(pg_ctl).parent)
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    """Start a throwaway PostgreSQL server; yields the URL of an empty database ``seba``.

    PostgreSQL refuses to run as root: then initdb/pg_ctl run as the ``postgres`` user.
    """
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries not found (install the Debian package 'postgresql')")
    as_user: List[str] = []
    base = Path(tempfile.mkdtemp(prefix="seba-pg-"))  # not under pytest's root-only tmp dirs
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        if not shutil.which("runuser"):
            shutil.rmtree(base)
            pytest.skip("running as root and 'runuser' is missing")
        os.chown(base, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "server.log"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*args: str) -> None:
        subprocess.run(as_user + list(args), check=True, env=env, capture_output=True,
                       timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale")
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {base} -F", "start")
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode()}\n{server_log}")

    import psycopg2

    # pg_ctl -w returned: the server accepts connections.
    conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE DATABASE seba")
    conn.close()
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/seba"
    finally:
        dispose_engines()
        subprocess.run(as_user + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                  "-w", "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
