"""Two Rasa workers on one port, as ``make run`` starts them (scripts/run.sh).

The kernel hands each new connection to whichever worker accepts it first; a test decides
which by stopping the other one (SIGSTOP) for a moment. So each case below really crosses
workers:

- each worker listens on Redis before its first visitor: a fresh worker's first socket gets
  its session confirmed and its first reply (python-socketio would subscribe only at the first
  connection, and what is published before it has subscribed is lost);
- a web customer's socket is on worker B and an agent's reply is sent through worker A:
  it reaches the socket (the web chat's emits go through Redis);
- one REST conversation's messages go alternately to A and B: the form carries on, every
  message is recorded once and answered before the next (Rasa's Redis lock store);
- long-polling is refused with several workers (its requests could reach different
  workers), and the bubble's bundle opens a websocket (tests/web/test_serve.py).
"""

import asyncio
import os
import signal
import time
import uuid
from contextlib import ExitStack, contextmanager
from typing import Iterator

import pytest
import requests

from handoff.rasa_client import RasaClient
from tests.e2e.handoff_stack import WebCustomer
from tests.servers import REST_HEADERS, start_rasa_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workers_stack(shop_db_module, redis, tmp_path_factory):
    with ExitStack() as stack:
        rasa = start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("workers"),
            env={"DATABASE_URL": shop_db_module},
            workers=2,
            redis_url=f"redis://127.0.0.1:{redis.port}",
        )
        server = rasa.servers[-1]
        pids = server.children()
        assert len(pids) == 2, f"expected two Sanic workers, found {pids}"
        rasa.workers = pids  # type: ignore[attr-defined]
        yield rasa


@contextmanager
def only(stack, worker: int) -> Iterator[None]:
    """While inside, new connections can only be accepted by ``stack.workers[worker]``."""
    other = stack.workers[1 - worker]
    os.kill(other, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(other, signal.SIGCONT)


def rest_say(stack, sender: str, text: str) -> str:
    # A new connection per message (no keep-alive): it goes to the worker that accepts it.
    r = requests.post(
        f"{stack.url}/webhooks/rest/webhook",
        headers={**REST_HEADERS, "Connection": "close"},
        json={"sender": sender, "message": text},
        timeout=90,
    )
    r.raise_for_status()
    return " ".join(m.get("text", "") for m in r.json())


# First in the module: no socket has reached either worker yet.
def test_each_worker_listens_on_redis_before_its_first_visitor(workers_stack, redis):
    import redis as redis_client

    channel = "seba-webchat"  # channels/webchat.py server_options
    client = redis_client.Redis(port=redis.port)
    deadline = time.monotonic() + 20
    while client.pubsub_numsub(channel)[0][1] < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.pubsub_numsub(channel)[0][1] == 2, (
        "the workers did not subscribe to the web chat's Redis channel before any visitor came"
    )
    for worker in (0, 1):
        with only(workers_stack, worker):
            customer = WebCustomer(workers_stack.url, transports=["websocket"]).connect()
            try:
                assert customer.session_id and len(customer.session_id) == 64
                before = customer.say("হ্যালো")
                assert customer.wait_for_text(bool, since=before)
            finally:
                customer.close()


def test_an_agents_reply_through_one_worker_reaches_a_socket_on_the_other(workers_stack):
    customers = []
    for worker in (0, 1):
        with only(workers_stack, worker):
            customer = WebCustomer(workers_stack.url, transports=["websocket"]).connect()
            before = customer.say("হ্যালো")
            customer.wait_for_text(bool, since=before)
        customers.append((worker, customer))

    async def push(conversation: str, text: str) -> None:
        async with RasaClient(workers_stack.url) as client:
            await client.send_agent_message(conversation, text, "Rina")

    try:
        for worker, customer in customers:
            text = f"এজেন্ট রিনা বলছি ({uuid.uuid4().hex[:6]})"
            with only(workers_stack, 1 - worker):  # the API call goes to the other worker
                asyncio.run(push(customer.conversation_id, text))
            customer.wait_for_text(lambda t, text=text: t == text, timeout=30)
    finally:
        for _, customer in customers:
            customer.close()


def test_one_conversation_alternating_between_workers_loses_nothing(workers_stack):
    sender = f"alt-{uuid.uuid4().hex[:8]}"
    turns = ["আমার অর্ডারটা কোথায় আছে?", "১০৪৫৬", "০১৭১১০০০০০১"]
    replies = []
    for i, text in enumerate(turns):
        with only(workers_stack, i % 2):
            replies.append(rest_say(workers_stack, sender, text))
    assert "PTH123456" in replies[-1], replies

    events = workers_stack.tracker(f"rest:{sender}")["events"]
    kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
    assert [e["text"] for e in events if e["event"] == "user"] == turns
    for i, kind in enumerate(kinds):
        if kind == "user":
            assert i + 1 < len(kinds) and kinds[i + 1] == "bot", kinds


def test_long_polling_is_refused_with_several_workers(workers_stack):
    r = requests.get(
        f"{workers_stack.url}/socket.io/",
        params={"EIO": "4", "transport": "polling", "t": str(time.time())},
        timeout=10,
    )
    assert r.status_code == 400, r.text
