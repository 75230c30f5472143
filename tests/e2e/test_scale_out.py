"""Two Rasa server processes behind one PostgreSQL tracker store and one Redis lock store.

This is how a shop outgrows one machine: any process may answer any message of a
conversation. The conversation below alternates between the two processes, on the
project's own deploy/endpoints.postgres.yml, with the order database on PostgreSQL too.
"""

import os
import shutil
import subprocess
import urllib.parse
import uuid
from contextlib import ExitStack

import pytest
import requests

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
def redis_port(tmp_path_factory):
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server not installed (Debian package redis-server)")
    port = free_port()
    server = Server("redis", [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"],
                    tmp_path_factory.mktemp("redis") / "redis.log")
    try:
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"],
                              capture_output=True, text=True).stdout.strip() == "PONG":
                break
            import time
            time.sleep(0.1)
        yield port
    finally:
        server.stop()


@pytest.fixture(scope="module")
def postgres_shop(postgres_url):
    """The demo shop database, migrated and loaded on PostgreSQL."""
    env = {**os.environ, "DATABASE_URL": postgres_url}
    subprocess.run([str(VENV_BIN / "python"), "-m", "seba.db", "init"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    return postgres_url


def test_two_rasa_processes_share_one_conversation(postgres_shop, redis_port, tmp_path):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    pg = urllib.parse.urlparse(postgres_shop)
    action_port = free_port()
    env = {
        "DATABASE_URL": postgres_shop,
        "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TRACKER_DB_HOST": pg.hostname, "TRACKER_DB_PORT": str(pg.port),
        "TRACKER_DB_NAME": pg.path.lstrip("/"), "TRACKER_DB_USER": pg.username,
        "TRACKER_DB_PASSWORD": "", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port),
        "REDIS_DB": "1", "SEBA_REST_SECRET": REST_SECRET,
    }
    with ExitStack() as stack:
        actions = Server("actions", action_server_cmd(action_port), tmp_path / "actions.log", env)
        stack.callback(actions.stop)
        actions.wait_ready(f"http://127.0.0.1:{action_port}/health")
        urls = []
        for name in ("rasa-a", "rasa-b"):
            port = free_port()
            rasa = Server(name, rasa_server_cmd(port, ROOT / "deploy" / "endpoints.postgres.yml",
                                                ROOT / "credentials.yml"),
                          tmp_path / f"{name}.log", env)
            stack.callback(rasa.stop)
            rasa.wait_ready(f"http://127.0.0.1:{port}/")
            urls.append(f"http://127.0.0.1:{port}")

        sender = f"scale-{uuid.uuid4().hex[:8]}"
        turns = ["আমার অর্ডারটা কোথায় আছে?", "১০৪৫৬", "০১৭১১০০০০০১"]
        replies = []
        for i, text in enumerate(turns):  # a, b, a
            r = requests.post(f"{urls[i % 2]}/webhooks/rest/webhook", headers=REST_HEADERS,
                              json={"sender": sender, "message": text}, timeout=60)
            r.raise_for_status()
            replies.append(" ".join(m.get("text", "") for m in r.json()))
        assert "PTH123456" in replies[-1], replies

        # Both processes see the whole conversation in the shared tracker store.
        for url in urls:
            events = requests.get(f"{url}/conversations/rest:{sender}/tracker",
                                  headers=api_headers(), timeout=30).json()["events"]
            assert [e["text"] for e in events if e["event"] == "user"] == turns
