"""Two Rasa server processes behind one PostgreSQL tracker store and one Redis lock store.

This is how a shop outgrows one machine: any process may answer any message of a
conversation. The conversation below alternates between the two processes, on the
project's own deploy/endpoints.postgres.yml, with the order database on PostgreSQL too.
"""

import os
import subprocess
import threading
import time
import urllib.parse
import uuid
from contextlib import ExitStack

import pytest
import requests

from tests.conftest import redis_ping
from tests.servers import (
    MODEL,
    REST_HEADERS,
    REST_SECRET,
    ROOT,
    VENV_BIN,
    Server,
    action_server_cmd,
    api_headers,
    free_port,
    rasa_server_cmd,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres_shop(postgres_url):
    """The demo shop database, migrated and loaded on PostgreSQL."""
    env = {**os.environ, "DATABASE_URL": postgres_url}
    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "seba.db", "init"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return postgres_url


@pytest.fixture(scope="module")
def two_rasas(postgres_shop, redis, tmp_path_factory):
    """Two Rasa processes (and one action server) on the project's deploy/endpoints.postgres.yml:
    PostgreSQL tracker store, Redis lock store."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    tmp_path = tmp_path_factory.mktemp("scale")
    pg = urllib.parse.urlparse(postgres_shop)
    action_port = free_port()
    env = {
        "DATABASE_URL": postgres_shop,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TRACKER_DB_HOST": pg.hostname,
        "TRACKER_DB_PORT": str(pg.port),
        "TRACKER_DB_NAME": pg.path.lstrip("/"),
        "TRACKER_DB_USER": pg.username,
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis.port),
        "REDIS_DB": "1",
        "SEBA_REST_SECRET": REST_SECRET,
    }
    with ExitStack() as stack:
        actions = Server("actions", action_server_cmd(action_port), tmp_path / "actions.log", env)
        stack.callback(actions.stop)
        actions.wait_ready(f"http://127.0.0.1:{action_port}/health")
        urls = []
        for name in ("rasa-a", "rasa-b"):
            port = free_port()
            rasa = Server(
                name,
                rasa_server_cmd(
                    port, ROOT / "deploy" / "endpoints.postgres.yml", ROOT / "credentials.yml"
                ),
                tmp_path / f"{name}.log",
                env,
            )
            stack.callback(rasa.stop)
            rasa.wait_ready(f"http://127.0.0.1:{port}/")
            urls.append(f"http://127.0.0.1:{port}")
        yield urls


def say(url: str, sender: str, text: str, timeout: float = 90) -> str:
    r = requests.post(
        f"{url}/webhooks/rest/webhook",
        headers=REST_HEADERS,
        json={"sender": sender, "message": text},
        timeout=timeout,
    )
    r.raise_for_status()
    return " ".join(m.get("text", "") for m in r.json())


def events_of(url: str, sender: str) -> list:
    return requests.get(
        f"{url}/conversations/rest:{sender}/tracker", headers=api_headers(), timeout=30
    ).json()["events"]


def test_two_rasa_processes_share_one_conversation(two_rasas):
    urls = two_rasas
    sender = f"scale-{uuid.uuid4().hex[:8]}"
    turns = ["আমার অর্ডারটা কোথায় আছে?", "১০৪৫৬", "০১৭১১০০০০০১"]
    replies = [say(urls[i % 2], sender, text) for i, text in enumerate(turns)]  # a, b, a
    assert "PTH123456" in replies[-1], replies

    # Both processes see the whole conversation in the shared tracker store.
    for url in urls:
        events = events_of(url, sender)
        assert [e["text"] for e in events if e["event"] == "user"] == turns


def test_interleaved_messages_of_many_conversations_lose_and_reorder_nothing(two_rasas):
    """Twelve conversations at once, each turn on the other process; in half of them two
    messages also race to the two processes at the same moment. Every message is recorded
    once, in order, and answered before the next one is read (Redis's lock)."""
    urls = two_rasas
    turns = ["hello", "ডেলিভারি চার্জ কত?", "bKash e payment kora jay?", "thanks", "কালো বোরকার দাম কত?"]
    results = {}

    def customer(n: int) -> None:
        sender = f"inter-{n}-{uuid.uuid4().hex[:6]}"
        for i, text in enumerate(turns):
            assert say(urls[(n + i) % 2], sender, text)
        if n % 2:
            # The one that waits for Redis's lock waits for the other's whole turn: on a
            # busy machine that can take a while, so these wait longer than one turn does.
            racing = [
                threading.Thread(target=say, args=(url, sender, f"race {k}", 300))
                for k, url in enumerate(urls)
            ]
            for thread in racing:
                thread.start()
            for thread in racing:
                thread.join(320)
        results[n] = sender

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(900)
    assert len(results) == 12
    for n, sender in results.items():
        events = [e for e in events_of(urls[n % 2], sender) if e["event"] in ("user", "bot")]
        users = [e["text"] for e in events if e["event"] == "user"]
        assert users[: len(turns)] == turns, users
        if n % 2:
            assert sorted(users[len(turns) :]) == ["race 0", "race 1"], users
        # Every message was answered before the next one was read.
        kinds = [e["event"] for e in events]
        for i, kind in enumerate(kinds):
            if kind == "user":
                assert i + 1 < len(kinds) and kinds[i + 1] == "bot", (sender, kinds)


def test_the_lock_store_down_gets_an_apology_not_silence(two_rasas, redis):
    urls = two_rasas
    redis.proc.terminate()
    redis.proc.wait(30)
    try:
        reply = say(urls[0], f"nolock-{uuid.uuid4().hex[:6]}", "ডেলিভারি চার্জ কত?")
    finally:
        redis.restart()
        for _ in range(100):
            if redis_ping(redis.port):
                break
            time.sleep(0.1)
    assert "09678-123456" in reply and "দুঃখিত" in reply, reply
    for _ in range(3):
        reply = say(urls[1], f"lock-{uuid.uuid4().hex[:6]}", "ডেলিভারি চার্জ কত?")
        if "টাকা" in reply:
            break
    assert "টাকা" in reply, reply
