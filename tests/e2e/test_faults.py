"""Faults, each injected into the real running stack: what the customer hears, and that
nothing is lost once the fault is gone.

- the action server hangs (SIGSTOP): an apology in the customer's language within the action
  timeout; normal again after SIGCONT;
- the shop's PostgreSQL stops mid-conversation: an apology; normal again after a restart;
- the tracker store's PostgreSQL stops: answers (Rasa falls back to memory), not silence;
- Rasa is killed with SIGKILL while a Telegram message is being handled, and restarted: the
  stored update is handled after the restart, the form, its slots, a handed-over conversation
  and a verification lock are intact;
- the agent console is killed and restarted: agents stay logged in, the queue is intact;
- the abandon sweep while Rasa is down: it retries until the conversation is released.
"""

import os
import random
import signal
import time
import uuid
from contextlib import ExitStack

import pytest
from sqlalchemy import update

from channels.telegram import SECRET_HEADER
from handoff import queue
from handoff.db import local_now
from handoff.db import session_scope as handoff_session
from handoff.models import Ticket
from seba import verification
from seba.db import dispose_engines
from tests.channels.helpers import tg_message, tg_update
from tests.e2e.handoff_stack import TELEGRAM_SECRET, http, start_handoff_stack, tracker, wait_for
from tests.pg import PostgresServer, PostgresUnavailable
from tests.servers import VENV_BIN, start_rasa_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SHOP_PHONE = "09678-123456"  # shop.yml: every apology gives it


def answer(stack, sender, text):
    return " ".join(m.get("text") or "" for m in stack.say(sender, text, timeout=90))


@pytest.fixture(scope="module")
def pg():
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as reason:
        pytest.skip(str(reason))
    yield server
    server.destroy()


def migrated_shop(url: str) -> str:
    import subprocess

    from tests.servers import ROOT

    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "seba.db", "init"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        timeout=300,
    )
    subprocess.run(
        [str(VENV_BIN / "python"), "-m", "handoff", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        timeout=300,
    )
    return url


# --- the action server and the shop database ---------------------------------------------------


@pytest.fixture(scope="module")
def pg_shop_stack(pg, tmp_path_factory):
    shop = migrated_shop(pg.create_database("shop"))
    with ExitStack() as stack:
        yield start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("faults-shop"),
            env={"DATABASE_URL": shop, "SEBA_ACTION_TIMEOUT": "2"},
        )
    dispose_engines()


def test_a_hanging_action_server_gets_an_apology_then_normal_service(pg_shop_stack):
    stack = pg_shop_stack
    actions = next(s for s in stack.servers if s.name == "action server")
    sender = f"slow-{uuid.uuid4().hex[:8]}"
    os.kill(actions.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        reply = answer(stack, sender, "আমার অর্ডার ১০৪৫৬ কোথায়? ফোন ০১৭১১০০০০০১")
        waited = time.monotonic() - started
    finally:
        os.kill(actions.proc.pid, signal.SIGCONT)
    assert SHOP_PHONE in reply and "দুঃখিত" in reply, reply  # Bangla apology, not silence
    assert waited < 60, waited  # not Rasa's five minutes (the REST call would have timed out)
    assert "PTH123456" in answer(
        stack, f"back-{uuid.uuid4().hex[:8]}", "আমার অর্ডার ১০৪৫৬ কোথায়? ফোন ০১৭১১০০০০০১"
    )


def test_the_shop_database_stopping_mid_conversation(pg_shop_stack, pg):
    stack = pg_shop_stack
    sender = f"dbdown-{uuid.uuid4().hex[:8]}"
    assert "PTH123456" not in answer(stack, sender, "Where is my order 10456?")
    pg.stop()
    try:
        reply = answer(stack, sender, "01711000001")
    finally:
        pg.start()
    assert SHOP_PHONE in reply and "Sorry" in reply, reply  # English, as the customer wrote
    for _ in range(3):  # the first query after the restart may still find a dead connection
        reply = answer(
            stack, f"dbup-{uuid.uuid4().hex[:8]}", "Where is my order 10456? 01711000001"
        )
        if "PTH123456" in reply:
            break
    assert "PTH123456" in reply, reply


@pytest.fixture(scope="module")
def pg_tracker_stack(pg, shop_db_module, tmp_path_factory):
    pg.create_database("tracker")
    block = (
        "tracker_store:\n  type: seba.tracker_store.CachingSQLTrackerStore\n"
        f"  dialect: postgresql\n  url: 127.0.0.1\n  port: {pg.port}\n"
        "  db: tracker\n  username: postgres\n  password: ''\n"
    )
    with ExitStack() as stack:
        yield start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("faults-tracker"),
            env={"DATABASE_URL": shop_db_module},
            tracker=block,
        )


def test_the_tracker_database_down_is_not_silence(pg_tracker_stack, pg):
    """Rasa keeps the conversation in memory while its tracker store is down
    (FailSafeTrackerStore) and answers; what could not be answered gets an apology."""
    stack = pg_tracker_stack
    assert answer(stack, f"t-{uuid.uuid4().hex[:8]}", "hello")
    pg.stop()
    try:
        replies = [
            answer(stack, f"t-{uuid.uuid4().hex[:8]}", text)
            for text in ("আমার অর্ডার কোথায়?", "ডেলিভারি চার্জ কত?")
        ]
    finally:
        pg.start()
    assert all(replies), replies  # every message answered
    assert any("টাকা" in r or SHOP_PHONE in r for r in replies), replies
    for _ in range(3):
        reply = answer(stack, f"t-{uuid.uuid4().hex[:8]}", "ডেলিভারি চার্জ কত?")
        if "টাকা" in reply:
            break
    assert "টাকা" in reply, reply


# --- Rasa and the console killed; the sweep while Rasa is down ----------------------------------


@pytest.fixture(scope="module")
def handoff_stack(shop_db_module, fake_telegram, tmp_path_factory):
    with ExitStack() as stack:
        yield start_handoff_stack(
            stack, tmp_path_factory.mktemp("faults-handoff"), shop_db_module, fake_telegram
        )


def telegram_says(stack, chat_id, text):
    status, body = http(
        "POST",
        f"{stack.rasa.url}/webhooks/telegram/webhook",
        tg_update(message=tg_message(chat_id, text)),
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, body


def rasa_of(stack):
    return next(s for s in stack.rasa.servers if s.name == "rasa server")


def actions_of(stack):
    return next(s for s in stack.rasa.servers if s.name == "action server")


def test_rasa_killed_mid_conversation_loses_nothing(handoff_stack, fake_telegram, shop_db_module):
    stack, api = handoff_stack, fake_telegram
    chat, helped = random.randint(10**8, 10**9), random.randint(10**8, 10**9)
    telegram_says(stack, chat, "আমার অর্ডার ১০৪৫৬ কোথায়?")
    api.wait_for(lambda a: a.texts(chat) or None, timeout=90)
    telegram_says(stack, helped, "I want to talk to a person")
    wait_for(lambda: tracker(stack.rasa, f"tg:{helped}")["paused"], 60)
    for n in range(5):  # strangers lock order 10458
        verification.check("10458", f"0191100099{n}", f"web:stranger{n}", url=shop_db_module)

    # The phone arrives while the action server hangs: Rasa is mid-message when it is killed.
    before = len(api.texts(chat))
    os.kill(actions_of(stack).proc.pid, signal.SIGSTOP)
    try:
        telegram_says(stack, chat, "০১৭১১০০০০০১")  # stored, acknowledged
        time.sleep(1.0)
        rasa_of(stack).restart(kill=True)
    finally:
        os.kill(actions_of(stack).proc.pid, signal.SIGCONT)

    # After the restart the stored update is handled, inside the same form.
    replies = api.wait_for(
        lambda a: [t for t in a.texts(chat)[before:] if "PTH123456" in t] or None, timeout=120
    )
    assert replies, api.texts(chat)
    users = [e for e in tracker(stack.rasa, f"tg:{chat}")["events"] if e["event"] == "user"]
    assert [e["text"] for e in users] == ["আমার অর্ডার ১০৪৫৬ কোথায়?", "০১৭১১০০০০০১"]
    assert tracker(stack.rasa, f"tg:{helped}")["paused"]  # still with the agents
    assert verification.active_locks(url=shop_db_module)  # the lock held


def test_the_console_killed_and_restarted_keeps_agents_and_queue(handoff_stack):
    stack = handoff_stack
    rina = stack.login("rina")
    before = rina.get("/api/queue", headers={"Accept": "application/json"}).json()
    stack.console.server.restart(kill=True)
    after = rina.get("/api/queue", headers={"Accept": "application/json"})
    assert after.status_code == 200  # the same session, no new login
    assert [t["id"] for t in after.json()["waiting"]] == [t["id"] for t in before["waiting"]]


def test_the_sweep_retries_while_rasa_is_down(handoff_stack, fake_telegram):
    stack = handoff_stack
    chat = random.randint(10**8, 10**9)
    telegram_says(stack, chat, "I want to talk to a person")
    conversation = f"tg:{chat}"
    wait_for(lambda: queue.open_ticket(conversation, url=stack.db_url), 60)
    wait_for(lambda: tracker(stack.rasa, conversation)["paused"], 60)
    rasa = rasa_of(stack)
    rasa.proc.kill()
    rasa.proc.wait(30)
    # The sweep abandoned the quiet ticket just now (as queue.sweep_abandoned does) and could
    # not give the conversation back: Rasa is down.
    with handoff_session(stack.db_url) as session:
        session.execute(
            update(Ticket)
            .where(Ticket.conversation_id == conversation)
            .values(state="abandoned", resolution="abandoned", resolved_at=local_now())
        )
    [ticket] = [
        t for t in queue.unreleased_abandoned(url=stack.db_url) if t.conversation_id == conversation
    ]
    time.sleep(3)  # the console sweeps every second meanwhile, and fails
    assert queue.get_ticket(ticket.id, url=stack.db_url).released_at is None
    rasa.restart()
    wait_for(
        lambda: queue.get_ticket(ticket.id, url=stack.db_url).released_at,
        60,
        "the sweep never released the conversation after Rasa came back",
    )
    assert not tracker(stack.rasa, conversation)["paused"]
