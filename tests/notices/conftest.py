"""The order-notice stack: the real action server and Rasa (``python -m seba.server run``,
with the notice deliverer in it), Telegram and Messenger pointed at the fake Bot API and
Graph API (tests/channels/fakes.py), the web chat on Rasa's port; the shop and handoff
tables in one SQLite database."""

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.channels.helpers import channel_env

CREDENTIALS = Path(__file__).with_name("credentials.test.yml")
TELEGRAM_SECRET = "notices_webhook-secret"
FACEBOOK = {"verify": "n-verify", "secret": "n-app-secret", "token": "N-PAGE-TOKEN"}


@pytest.fixture(scope="module")
def notices_stack(shop_db_module, fake_telegram, fake_graph, tmp_path_factory):
    from handoff import migrate
    from tests.servers import start_rasa_stack

    migrate.upgrade(shop_db_module)  # the handoff tables (delivery-time notes) beside the shop's
    env = {
        "DATABASE_URL": shop_db_module,
        **channel_env(fake_telegram, fake_graph, TELEGRAM_SECRET, FACEBOOK),
        "SEBA_NOTICES_POLL_SECONDS": "0.3",
        "SEBA_NOTICES_RECHECK_SECONDS": "1",
    }
    with ExitStack() as stack:
        running = start_rasa_stack(
            stack, tmp_path_factory.mktemp("notices-stack"), env=env, credentials=CREDENTIALS
        )
        running.db = shop_db_module  # type: ignore[attr-defined]
        yield running


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
