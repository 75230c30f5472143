"""Durable intake (channels/intake.py): stored before the 200, answered once, in order per
conversation, picked up again after a crash — on a real SQLite database, and through the real
Telegram and Messenger connectors."""

import asyncio
import datetime as dt
import json

from sqlalchemy import select, update

from channels import intake as intake_module
from channels.intake import Intake
from seba.db import local_now, session_scope
from seba.db.models import ChannelUpdate
from tests.channels.helpers import async_test, fb_event, fb_payload, tg_message, tg_update
from tests.channels.test_channel_facebook import messenger
from tests.channels.test_channel_telegram import telegram


def rows(url):
    with session_scope(url) as session:
        return session.execute(
            select(
                ChannelUpdate.external_id,
                ChannelUpdate.conversation_id,
                ChannelUpdate.state,
                ChannelUpdate.payload,
            ).order_by(ChannelUpdate.id)
        ).all()


@async_test
async def test_a_redelivered_telegram_update_is_answered_once(shop_db):
    async with telegram() as h:
        update_ = tg_update(message=tg_message(501, "hello"))
        for _ in range(3):  # Telegram was not sure we got it
            assert (await h.send(update_)).status == 200
        await h.settle()
        assert h.collector.texts == ["hello"] and h.api.texts(501) == ["echo: hello"]
        [(external_id, conversation, state, payload)] = rows(shop_db)
        assert (external_id, conversation, state) == (str(update_["update_id"]), "tg:501", "done")
        assert "hello" not in payload  # done rows keep no message text


@async_test
async def test_a_redelivered_messenger_event_is_answered_once(shop_db):
    async with messenger() as h:
        body = fb_payload(fb_event("P9", message={"mid": "mid.9", "text": "hi"}))
        for _ in range(2):
            assert (await h.send(body)).status == 200
        await h.settle()
        assert h.collector.texts == ["hi"]
        assert h.collector.messages[0].message_id == "fb:mid.9"


@async_test
async def test_when_the_update_cannot_be_stored_the_platform_is_told_to_retry(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/shop.db")
    async with telegram() as h:
        answer = await h.send(tg_update(message=tg_message(502, "hello")))
        assert answer.status == 503  # Telegram sends it again later
        assert h.collector.messages == []
    async with messenger() as h:
        answer = await h.send(fb_payload(fb_event("P10", message={"mid": "m10", "text": "x"})))
        assert answer.status == 503


@async_test
async def test_stored_updates_are_handled_after_a_crash_in_order_per_conversation(shop_db):
    """A process died after storing three updates of one chat (one of them half-handled):
    the next process handles all of them, oldest first, and each once."""
    crashed = Intake("telegram")
    stored = [(f"u{n}", "tg:7", {"n": n}) for n in range(3)] + [("v0", "tg:8", {"n": 10})]
    assert await crashed.store(stored) == 4
    with session_scope(shop_db) as session:  # u0 was being handled when the process died
        session.execute(
            update(ChannelUpdate)
            .where(ChannelUpdate.external_id == "u0")
            .values(state="processing", lease_until=local_now() + dt.timedelta(seconds=30))
        )

    seen, active = [], set()

    async def handler(payload):
        assert payload["n"] // 10 not in active, "two updates of one chat at once"
        active.add(payload["n"] // 10)
        await asyncio.sleep(0.05)
        seen.append(payload["n"])
        active.discard(payload["n"] // 10)

    restarted = Intake("telegram")
    restarted.start(handler)
    try:
        assert await restarted.join(20)
    finally:
        await restarted.stop()
    assert [n for n in seen if n < 10] == [0, 1, 2] and sorted(seen) == [0, 1, 2, 10]
    assert {state for _, _, state, _ in rows(shop_db)} == {"done"}


@async_test
async def test_two_processes_never_handle_one_update_twice(shop_db, monkeypatch):
    """Two workers on one database (two Rasa processes): every update once, each chat in
    order. Leases are not recovered at start here, as on PostgreSQL."""
    monkeypatch.setattr(Intake, "_recover", lambda self: None)
    handled = []

    async def handler(payload):
        handled.append((payload["chat"], payload["n"]))
        await asyncio.sleep(0.01)

    a, b = Intake("facebook", concurrency=4), Intake("facebook", concurrency=4)
    await a.store(
        (f"{chat}-{n}", f"fb:{chat}", {"chat": chat, "n": n}) for chat in range(8) for n in range(5)
    )
    a.start(handler)
    b.start(handler)
    try:
        assert await a.join(30) and await b.join(30)
    finally:
        await a.stop()
        await b.stop()
    assert sorted(handled) == [(chat, n) for chat in range(8) for n in range(5)]
    for chat in range(8):
        assert [n for c, n in handled if c == chat] == list(range(5))


@async_test
async def test_an_update_that_keeps_failing_is_given_up(shop_db, monkeypatch):
    monkeypatch.setattr(intake_module, "MAX_ATTEMPTS", 2)
    worker = Intake("telegram")
    await worker.store([("bad", "tg:9", {"n": 1})])
    with session_scope(shop_db) as session:  # it crashed its process twice already
        session.execute(update(ChannelUpdate).values(attempts=2))
    calls = []
    worker.start(lambda payload: calls.append(payload) or asyncio.sleep(0))
    try:
        assert await worker.join(10)
    finally:
        await worker.stop()
    assert calls == [] and json.loads(rows(shop_db)[0][3]) == {}
