"""Two Rasa workers (as ``make run`` starts them, on Redis) deliver from one database: each
notice is sent once, whichever worker leases it."""

import random
from contextlib import ExitStack

import pytest

from tests.notices.conftest import CREDENTIALS, TELEGRAM_SECRET, wait_for
from tests.notices.helpers import courier_update, notice, proved
from tests.servers import http, start_rasa_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ORDERS = ("10073", "10187", "10386", "10071", "10072", "10074")


@pytest.fixture(scope="module")
def two_workers(shop_db_module, redis, fake_telegram, tmp_path_factory):
    env = {
        "DATABASE_URL": shop_db_module,
        "TELEGRAM_TOKEN": fake_telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": fake_telegram.url,
        "SEBA_NOTICES_POLL_SECONDS": "0.2",
    }
    with ExitStack() as stack:
        running = start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("notices-workers"),
            env=env,
            credentials=CREDENTIALS,
            workers=2,
            redis_url=f"redis://127.0.0.1:{redis.port}",
        )
        assert len(running.servers[-1].children()) == 2
        running.db = shop_db_module  # type: ignore[attr-defined]
        yield running


def test_two_workers_racing_send_each_notice_once(two_workers, fake_telegram):
    chats = {number: random.randint(10**8, 10**9) for number in ORDERS}
    for number, chat in chats.items():
        proved(two_workers.db, number, f"tg:{chat}")
    ids = [courier_update(two_workers.db, number, "out_for_delivery") for number in ORDERS]
    wait_for(lambda: all(notice(two_workers.db, i).state == "sent" for i in ids), "all sent", 120)
    for number, chat in chats.items():
        texts = [t for t in fake_telegram.texts(chat) if number in t]
        assert len(texts) == 1, (number, texts)
        _, tracker = http(
            "GET", two_workers.api(f"/conversations/tg:{chat}/tracker"), headers=two_workers.auth
        )
        pushed = [
            e
            for e in tracker["events"]
            if e["event"] == "user" and e["parse_data"]["intent"]["name"].startswith("EXTERNAL_")
        ]
        assert len(pushed) == 1
    assert all(notice(two_workers.db, i).attempts == 1 for i in ids)  # leased once each
