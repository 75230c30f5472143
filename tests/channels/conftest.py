"""Fixtures for the end-to-end channel tests (``@pytest.mark.slow``).

They start the real servers — the action server and ``python -m seba.server run`` with
``tests/channels/credentials.test.yml`` — through the shared helper ``tests/servers.py``
(one process helper for every end-to-end suite: free ports, readiness polling on
/health and /status, logs in tmp files shown when a server does not come up, stopped at
the end). The channels' far sides are the fake Bot API and Graph API (``fakes.py``) on
background threads; the environment points the connectors at them.
"""

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Dict

import pytest

from tests.channels.helpers import channel_env
from tests.servers import http  # noqa: F401 - re-exported for the channel tests

CREDENTIALS = Path(__file__).with_name("credentials.test.yml")
TELEGRAM_SECRET = "e2e_webhook-secret"
FACEBOOK = {"verify": "e2e-verify", "secret": "e2e-app-secret", "token": "E2E-PAGE-TOKEN"}


@pytest.fixture(autouse=True)
def intake_db(request, shop_db):
    """A fresh shop database per connector test: Telegram and Messenger store every update
    there before they answer (channels/intake.py)."""
    return shop_db


@pytest.fixture(scope="module")
def channel_stack(shop_db_module, fake_telegram, fake_graph, tmp_path_factory):
    """Action server + Rasa server with the Telegram and Messenger connectors."""
    from tests.servers import start_rasa_stack  # only the slow tests need it

    env = {
        "DATABASE_URL": shop_db_module,
        **channel_env(fake_telegram, fake_graph, TELEGRAM_SECRET, FACEBOOK),
    }
    with ExitStack() as stack:
        running = start_rasa_stack(
            stack, tmp_path_factory.mktemp("channels-stack"), env=env, credentials=CREDENTIALS
        )
        yield running


def wait_for_turn(stack, sender_id: str, user_messages: int, timeout: float = 120) -> Dict:
    """Wait until Rasa has handled ``user_messages`` messages of this conversation."""
    deadline = time.monotonic() + timeout
    tracker: Dict = {}
    while time.monotonic() < deadline:
        status, tracker = http(
            "GET", stack.api(f"/conversations/{sender_id}/tracker"), headers=stack.auth
        )
        if status == 200 and isinstance(tracker, dict):
            users = [e for e in tracker.get("events", []) if e.get("event") == "user"]
            if len(users) >= user_messages and tracker.get("latest_action_name") == "action_listen":
                return tracker
        time.sleep(0.5)
    raise AssertionError(
        f"Rasa did not finish turn {user_messages} of {sender_id}: {tracker}\n{logs(stack)}"
    )


def logs(stack, lines: int = 40) -> str:
    """The servers' log tails, for assertion messages."""
    return "\n".join(f"--- {s.name} ({s.log}) ---\n{s.log_tail(lines)}" for s in stack.servers)
