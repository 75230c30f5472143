"""seba.lock_store: tickets of one conversation issued by many processes at once are never lost
(Rasa's RedisLockStore reads, changes and writes the lock with nothing in between)."""

import asyncio
import threading
import time
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from seba.lock_store import AtomicRedisLockStore


def issue_at_once(stores, conversation: str, per_store: int = 40) -> set:
    tickets, start = [], threading.Barrier(len(stores))

    def issue(store):
        start.wait()
        for _ in range(per_store):
            tickets.append(store.issue_ticket(conversation, 60))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return set(tickets)


def kept_tickets(store, conversation: str) -> int:
    return len(store.get_lock(conversation).tickets)


def test_no_ticket_is_lost_between_processes(redis):
    stores = [AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=3) for _ in range(4)]
    conversation = f"rest:{uuid.uuid4().hex}"
    issued = issue_at_once(stores, conversation)
    assert len(issued) == 160 and kept_tickets(stores[0], conversation) == 160


def test_rasas_own_store_loses_them(redis):
    """What the class above is for: without it, tickets go missing (so a waiting message
    finds its lock deleted: LockError, and the customer's message is not recorded)."""
    stores = [RedisLockStore(host="127.0.0.1", port=redis.port, db=4) for _ in range(4)]
    conversation = f"rest:{uuid.uuid4().hex}"
    issue_at_once(stores, conversation)
    if kept_tickets(stores[0], conversation) == 160:
        pytest.skip("no race this time (it depends on timing); the test above is the guard")
    assert kept_tickets(stores[0], conversation) < 160


def test_rasa_builds_it_from_endpoints(redis):
    config = EndpointConfig(
        url="127.0.0.1", type="seba.lock_store.AtomicRedisLockStore", port=redis.port, db=5
    )
    from rasa.core.lock_store import LockStore

    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    conversation = f"rest:{uuid.uuid4().hex}"
    ticket = store.issue_ticket(conversation, 60)
    store.cleanup(conversation, ticket)
    assert store.get_lock(conversation) is None


def test_messages_of_one_conversation_still_take_turns(redis):
    store = AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=7)
    conversation, order = f"rest:{uuid.uuid4().hex}", []

    async def message(name, hold):
        async with store.lock(conversation, wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def both():
        first = asyncio.create_task(message("first", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(first, message("second", 0))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock(conversation) is None  # cleaned up after the last one


def test_rasas_own_store_reads_and_continues_the_lock(redis):
    """The scripts keep Rasa's JSON layout: Rasa's store (and any tool built on it) reads
    what ours wrote, and ours continues a lock Rasa's wrote (a rolling upgrade)."""
    ours = AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=8)
    rasas = RedisLockStore(host="127.0.0.1", port=redis.port, db=8)
    conversation = f"rest:{uuid.uuid4().hex}"
    first = rasas.issue_ticket(conversation, 60)
    second = ours.issue_ticket(conversation, 60)
    third = rasas.issue_ticket(conversation, 60)
    assert (first, second, third) == (0, 1, 2)
    lock = rasas.get_lock(conversation)
    assert [t.number for t in lock.tickets] == [0, 1, 2] and lock.conversation_id == conversation
    assert all(58 < t.expires - time.time() <= 60 for t in lock.tickets)
    ours.cleanup(conversation, second)
    assert [t.number for t in rasas.get_lock(conversation).tickets] == [0, 2]


def test_an_expired_ticket_does_not_hold_the_next_message(redis):
    """A process that died mid-message leaves its ticket; once it expires the next message
    goes ahead (Rasa's lock lifetime), and the dead ticket is dropped from the lock."""
    store = AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=8)
    conversation = f"rest:{uuid.uuid4().hex}"
    store.issue_ticket(conversation, 0.2)  # never cleaned up

    async def next_message():
        async with store.lock(conversation, lock_lifetime=60) as lock:
            return [t.number for t in lock.tickets]

    assert asyncio.run(next_message()) == [1]
    assert store.get_lock(conversation) is None


def test_a_lock_deleted_under_a_waiting_message_raises_lock_error(redis):
    store = AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=8)
    conversation = f"rest:{uuid.uuid4().hex}"
    store.issue_ticket(conversation, 60)  # someone else is being served

    async def waiting():
        async with store.lock(conversation):
            pass

    async def run():
        task = asyncio.create_task(waiting())
        await asyncio.sleep(0.1)
        store.delete_lock(conversation)
        await task

    with pytest.raises(LockError):
        asyncio.run(run())


def test_a_message_costs_two_round_trips_to_redis(redis):
    """Issue (with the lock's state) and clean up, one script each — what made the scale-out
    path wait was ~11 round trips a message (Rasa's get/set plus a mutex per step)."""
    store = AtomicRedisLockStore(host="127.0.0.1", port=redis.port, db=8)
    calls, execute = [], store.red.execute_command

    def counted(*args, **kwargs):
        calls.append(args[0])
        return execute(*args, **kwargs)

    async def message(conversation):
        async with store.lock(conversation):
            pass

    asyncio.run(message(f"rest:{uuid.uuid4().hex}"))  # loads the scripts once
    store.red.execute_command = counted
    asyncio.run(message(f"rest:{uuid.uuid4().hex}"))
    assert calls == ["EVALSHA", "EVALSHA"]
