"""The handoff queue on a real SQLite database (and PostgreSQL when it is installed)."""

import datetime as dt
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from handoff import agents, migrate, queue
from handoff.db import dispose, get_engine, session_scope
from handoff.models import Base, BotRating, Ticket
from tests.handoff.helpers import (
    FRIDAY_NOON,
    MONDAY_NIGHT,
    MONDAY_NOON,
    PASSWORD,
    THURSDAY_NIGHT,
)

T0 = MONDAY_NOON


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def go_online(agent, now=T0, url=None):
    agents.set_status(agent.id, "online", now=now, url=url)


# --- schema --------------------------------------------------------------------------------


def test_migrations_match_the_models(handoff_url):
    with get_engine(handoff_url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE}
        )
        assert compare_metadata(context, Base.metadata) == []
    assert migrate.current_revision(handoff_url) == migrate.head_revision()


def test_own_version_table_next_to_the_shop_tables(tmp_path):
    """Shop and handoff migrations share one database and do not see each other's history."""
    from seba.db.migrate import current_revision as shop_revision
    from seba.db.migrate import upgrade as shop_upgrade

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    try:
        shop_upgrade(url)
        migrate.upgrade(url)
        migrate.upgrade(url)  # idempotent
        tables = set(inspect(get_engine(url)).get_table_names())
        assert {"alembic_version", migrate.VERSION_TABLE, "orders", "handoff_tickets"} <= tables
        assert migrate.current_revision(url) == migrate.head_revision()
        assert shop_revision(url) not in (None, migrate.head_revision())
        migrate.drop_all(url)
        tables = set(inspect(get_engine(url)).get_table_names())
        assert "orders" in tables and not any(t.startswith("handoff_") for t in tables)
    finally:
        dispose(url)


# --- one open ticket per conversation ------------------------------------------------------


def test_enqueue_is_idempotent_per_conversation(handoff_url):
    first = queue.enqueue(
        "c-1", "telegram", "bn", "customer_request", "মানুষের সাথে কথা বলতে চাই", now=T0
    )
    assert first.created and first.position == 1 and first.state == "waiting"
    again = queue.enqueue(
        "c-1", "telegram", "bn", "complaint", "এখনো কেউ নেই?", now=T0 + minutes(2)
    )
    assert not again.created
    assert again.ticket_id == first.ticket_id and again.position == 1
    ticket = queue.get_ticket(first.ticket_id)
    assert ticket.reason == "customer_request"  # the first reason stays
    assert ticket.last_message == "এখনো কেউ নেই?"
    assert ticket.last_customer_message_at == T0 + minutes(2)
    assert len(queue.open_tickets()) == 1


def test_enqueue_validates_and_normalises(handoff_url):
    with pytest.raises(ValueError):
        queue.enqueue("c-1", "telegram", "bn", "bored", now=T0)
    with pytest.raises(ValueError):
        queue.enqueue("", "telegram", "bn", "complaint", now=T0)
    result = queue.enqueue("c-2", None, "banglish", "low_confidence", now=T0)
    ticket = queue.get_ticket(result.ticket_id)
    assert ticket.language == "bn" and ticket.channel == ""


def test_the_database_refuses_a_second_open_ticket(handoff_url):
    """The partial unique index holds even for code that skips the queue API."""
    queue.enqueue("c-1", "facebook", "en", "complaint", now=T0)
    with pytest.raises(IntegrityError):
        with session_scope(handoff_url) as session:
            session.add(
                Ticket(
                    conversation_id="c-1",
                    channel="facebook",
                    language="en",
                    reason="complaint",
                    state="assigned",
                    created_at=T0,
                )
            )
    # Closed tickets do not count: many per conversation are fine.
    with session_scope(handoff_url) as session:
        for state in ("resolved", "abandoned", "resolved"):
            session.add(
                Ticket(
                    conversation_id="c-1",
                    channel="facebook",
                    language="en",
                    reason="complaint",
                    state=state,
                    created_at=T0,
                )
            )


def test_concurrent_enqueues_make_one_ticket(handoff_url):
    barrier = threading.Barrier(8)

    def enqueue(i):
        barrier.wait()
        return queue.enqueue("same-chat", "socketio", "bn", "customer_request", f"msg {i}", now=T0)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(enqueue, range(8)))
    assert len({r.ticket_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(queue.open_tickets()) == 1


def test_a_closed_conversation_can_ask_again(handoff_url, two_agents):
    rina, _ = two_agents
    first = queue.enqueue("c-1", "telegram", "bn", "customer_request", now=T0)
    assert queue.claim(first.ticket_id, rina.id, now=T0 + minutes(1))
    assert queue.resolve(first.ticket_id, rina.id, now=T0 + minutes(5))
    second = queue.enqueue("c-1", "telegram", "bn", "complaint", now=T0 + minutes(30))
    assert second.created and second.ticket_id != first.ticket_id


# --- FIFO and claims -----------------------------------------------------------------------


def test_fifo_positions_and_claim_next(handoff_url, two_agents):
    rina, karim = two_agents
    ids = [
        queue.enqueue(f"c-{i}", "telegram", "bn", "customer_request", now=T0 + minutes(i)).ticket_id
        for i in range(4)
    ]
    assert [
        queue.enqueue(f"c-{i}", "telegram", "bn", "customer_request", now=T0 + minutes(10)).position
        for i in range(4)
    ] == [1, 2, 3, 4]
    snapshot = queue.queue_snapshot(now=T0 + minutes(10))
    assert [t.id for t in snapshot.waiting] == ids
    assert [t["position"] for t in snapshot.to_json()["waiting"]] == [1, 2, 3, 4]

    # A direct claim out of order is allowed; claim_next then serves the oldest left.
    assert queue.claim(ids[2], karim.id, now=T0 + minutes(11))
    assert queue.claim_next(rina.id, now=T0 + minutes(11)).id == ids[0]
    assert queue.claim_next(rina.id, now=T0 + minutes(12)).id == ids[1]
    assert queue.enqueue("c-3", "telegram", "bn", "customer_request").position == 1
    assert queue.claim_next(karim.id).id == ids[3]
    assert queue.claim_next(karim.id) is None


def test_a_taken_ticket_is_refused_to_a_second_agent(handoff_url, two_agents):
    rina, karim = two_agents
    ticket_id = queue.enqueue("c-1", "telegram", "bn", "complaint", now=T0).ticket_id
    assert queue.claim(ticket_id, rina.id, now=T0 + minutes(1))
    assert not queue.claim(ticket_id, karim.id, now=T0 + minutes(1))
    assert queue.claim(ticket_id, rina.id)  # her own: a double click is fine
    ticket = queue.get_ticket(ticket_id)
    assert ticket.state == "assigned" and ticket.agent_name == "রিনা"
    assert ticket.assigned_at == T0 + minutes(1)
    again = queue.enqueue("c-1", "telegram", "bn", "complaint")
    assert not again.created and again.position == 0 and again.state == "assigned"
    assert again.expected_wait_minutes in (0, None)


def test_concurrent_claims_from_threads_have_one_winner(handoff_url, two_agents):
    rina, karim = two_agents
    for round_ in range(15):
        ticket_id = queue.enqueue(f"race-{round_}", "telegram", "bn", "complaint").ticket_id
        barrier = threading.Barrier(2)

        def claim(agent, barrier=barrier, ticket_id=ticket_id):  # bound: one race per round
            barrier.wait()
            return agent.id, queue.claim(ticket_id, agent.id)

        with ThreadPoolExecutor(2) as pool:
            results = dict(pool.map(claim, (rina, karim)))
        assert sorted(results.values()) == [False, True], results
        winner = next(agent_id for agent_id, won in results.items() if won)
        assert queue.get_ticket(ticket_id).agent_id == winner


CLAIM_SCRIPT = """
import sys, time
from handoff import queue
url, ticket_id = sys.argv[1], int(sys.argv[2])
agent_id, start = int(sys.argv[3]), float(sys.argv[4])
queue.get_ticket(ticket_id, url=url)  # connect before the start line
while time.time() < start:
    pass
print("WON" if queue.claim(ticket_id, agent_id, url=url) else "LOST")
"""


def test_concurrent_claims_from_two_processes_have_one_winner(handoff_url, two_agents):
    rina, karim = two_agents
    for round_ in range(3):
        ticket_id = queue.enqueue(f"proc-race-{round_}", "telegram", "bn", "complaint").ticket_id
        start = time.time() + 2.5
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CLAIM_SCRIPT,
                    handoff_url,
                    str(ticket_id),
                    str(agent.id),
                    str(start),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for agent in (rina, karim)
        ]
        outputs = [p.communicate(timeout=60) for p in procs]
        answers = [out.strip().splitlines()[-1] if out.strip() else err for out, err in outputs]
        assert sorted(answers) == ["LOST", "WON"], outputs
        winner = (rina, karim)[answers.index("WON")]
        assert queue.get_ticket(ticket_id).agent_id == winner.id


def test_concurrent_claim_next_never_hands_out_a_ticket_twice(handoff_url):
    team = [agents.create_agent(f"agent{i}", f"Agent {i}", PASSWORD) for i in range(4)]
    ids = {
        queue.enqueue(f"c-{i}", "telegram", "bn", "complaint", now=T0 + minutes(i)).ticket_id
        for i in range(24)
    }
    barrier = threading.Barrier(len(team))

    def work(agent):
        barrier.wait()
        taken = []
        while True:
            ticket = queue.claim_next(agent.id)
            if ticket is None:
                return taken
            taken.append(ticket.id)

    with ThreadPoolExecutor(len(team)) as pool:
        taken = [t for batch in pool.map(work, team) for t in batch]
    assert sorted(taken) == sorted(ids)  # every ticket once, none twice


def test_only_the_assigned_agent_closes_or_releases(handoff_url, two_agents):
    rina, karim = two_agents
    a = queue.enqueue("c-a", "telegram", "bn", "complaint", now=T0).ticket_id
    b = queue.enqueue("c-b", "telegram", "bn", "complaint", now=T0 + minutes(1)).ticket_id
    c = queue.enqueue("c-c", "telegram", "bn", "complaint", now=T0 + minutes(2)).ticket_id
    assert not queue.resolve(a, rina.id)  # waiting: claim first
    for ticket_id in (a, b, c):
        assert queue.claim(ticket_id, rina.id, now=T0 + minutes(3))
    assert not queue.resolve(a, karim.id) and not queue.hand_back(a, karim.id)
    assert not queue.release(a, karim.id)
    assert queue.resolve(a, rina.id, now=T0 + minutes(9))
    assert not queue.resolve(a, rina.id)  # once
    assert queue.hand_back(b, rina.id, now=T0 + minutes(9))
    assert (queue.get_ticket(a).state, queue.get_ticket(a).resolution) == ("resolved", "resolved")
    assert (queue.get_ticket(b).state, queue.get_ticket(b).resolution) == (
        "resolved",
        "handed_back",
    )
    # Released: waiting again, in its old place (FIFO by when the customer asked).
    d = queue.enqueue("c-d", "telegram", "bn", "complaint", now=T0 + minutes(10)).ticket_id
    assert queue.release(c, rina.id)
    released = queue.get_ticket(c)
    assert released.state == "waiting" and released.agent_id is None
    assert [t.id for t in queue.queue_snapshot().waiting] == [c, d]


# --- abandoned -----------------------------------------------------------------------------


def test_sweep_abandons_quiet_waiting_customers(handoff_url, two_agents, monkeypatch):
    rina, _ = two_agents
    quiet = queue.enqueue("quiet", "telegram", "bn", "customer_request", "hello?", now=T0).ticket_id
    talking = queue.enqueue("talking", "telegram", "bn", "customer_request", now=T0).ticket_id
    helped = queue.enqueue("helped", "telegram", "bn", "customer_request", now=T0).ticket_id
    fresh = queue.enqueue(
        "fresh", "telegram", "bn", "customer_request", now=T0 + minutes(20)
    ).ticket_id
    assert queue.touch_customer("talking", T0 + minutes(25), "still there")
    assert not queue.touch_customer("nobody", T0 + minutes(25))
    assert queue.claim(helped, rina.id, now=T0 + minutes(1))

    assert queue.sweep_abandoned(now=T0 + minutes(29)) == []
    swept = queue.sweep_abandoned(now=T0 + minutes(31))
    assert [t.id for t in swept] == [quiet]
    assert swept[0].state == "abandoned" and swept[0].resolution == "abandoned"
    assert queue.get_ticket(talking).state == "waiting"
    assert queue.get_ticket(talking).last_message == "still there"
    assert queue.get_ticket(helped).state == "assigned"  # only waiting tickets are abandoned
    assert queue.sweep_abandoned(now=T0 + minutes(31)) == []  # once

    monkeypatch.setenv("HANDOFF_ABANDON_AFTER_MINUTES", "10")
    swept = {t.id for t in queue.sweep_abandoned(now=T0 + minutes(36))}
    assert swept == {talking, fresh}
    snapshot = queue.queue_snapshot(now=T0 + minutes(36))
    assert snapshot.waiting == [] and snapshot.abandoned_today == 3
    # The abandoned customer may ask again later: a new ticket.
    assert queue.enqueue(
        "quiet", "telegram", "bn", "customer_request", now=T0 + minutes(40)
    ).created


# --- agents available, expected wait -------------------------------------------------------


def test_agents_available_needs_hours_and_someone_online(handoff_url, two_agents):
    rina, karim = two_agents
    assert not queue.agents_available(MONDAY_NOON)  # nobody online
    go_online(rina, now=MONDAY_NOON)
    assert queue.agents_available(MONDAY_NOON)
    assert queue.agents_available(MONDAY_NOON + dt.timedelta(seconds=110))
    assert not queue.agents_available(MONDAY_NOON + minutes(3))  # console closed 3 min ago
    agents.touch(rina.id, now=MONDAY_NOON + minutes(3))
    assert queue.agents_available(MONDAY_NOON + minutes(3))
    agents.set_status(rina.id, "away", now=MONDAY_NOON + minutes(4))
    assert not queue.agents_available(MONDAY_NOON + minutes(4))
    # Outside agent hours nobody counts, online or not.
    go_online(karim, now=FRIDAY_NOON)
    assert not queue.agents_available(FRIDAY_NOON)
    go_online(karim, now=MONDAY_NIGHT)
    assert not queue.agents_available(MONDAY_NIGHT)


def test_agents_back_at_follows_agent_hours(handoff_url):
    assert queue.agents_back_at(MONDAY_NOON) is None
    assert queue.agents_back_at(MONDAY_NIGHT) == dt.datetime(2025, 1, 7, 10, 0)
    assert queue.agents_back_at(dt.datetime(2025, 1, 7, 8, 30)) == dt.datetime(2025, 1, 7, 10, 0)
    # Thursday night: Friday is closed, so Saturday morning.
    assert queue.agents_back_at(THURSDAY_NIGHT) == dt.datetime(2025, 1, 11, 10, 0)
    assert queue.agents_back_at(FRIDAY_NOON) == dt.datetime(2025, 1, 11, 10, 0)
    # Aware datetimes are converted to shop time (Asia/Dhaka, UTC+6).
    utc = dt.timezone.utc
    assert queue.agents_back_at(dt.datetime(2025, 1, 6, 15, 0, tzinfo=utc)) == dt.datetime(
        2025, 1, 7, 10, 0
    )


def test_enqueue_tells_when_agents_are_back(handoff_url, two_agents):
    result = queue.enqueue("night-owl", "facebook", "en", "customer_request", now=THURSDAY_NIGHT)
    assert not result.agents_available
    assert result.expected_wait_minutes is None
    assert result.agents_back_at == dt.datetime(2025, 1, 11, 10, 0)


def test_expected_wait_uses_median_handling_time(handoff_url, two_agents):
    rina, karim = two_agents
    go_online(rina, now=T0)
    # No history: 5 minutes a conversation.
    first = queue.enqueue("w-1", "telegram", "bn", "complaint", now=T0)
    second = queue.enqueue("w-2", "telegram", "bn", "complaint", now=T0)
    assert first.agents_available and first.agents_back_at is None
    assert (first.expected_wait_minutes, second.expected_wait_minutes) == (5, 10)
    # History: handled in 2, 4 and 12 minutes -> median 4.
    for i, took in enumerate((2, 4, 12)):
        ticket_id = queue.enqueue(
            f"h-{i}", "telegram", "bn", "complaint", now=T0 - minutes(60)
        ).ticket_id
        assert queue.claim(ticket_id, karim.id, now=T0 - minutes(50))
        assert queue.resolve(ticket_id, karim.id, now=T0 - minutes(50) + minutes(took))
    third = queue.enqueue("w-3", "telegram", "bn", "complaint", now=T0 + minutes(1))
    assert third.position == 3 and third.expected_wait_minutes == 12
    assert queue.expected_wait_minutes(1) == 4


# --- ratings -------------------------------------------------------------------------------


def test_ratings_go_to_the_agent_ticket_or_to_the_bot(handoff_url, two_agents):
    rina, _ = two_agents
    # The bot solved it alone: no ticket.
    assert queue.record_rating("solo", 5, now=T0) == "bot"
    ticket_id = queue.enqueue("helped", "telegram", "bn", "complaint", now=T0).ticket_id
    assert queue.claim(ticket_id, rina.id, now=T0 + minutes(1))
    assert queue.hand_back(ticket_id, rina.id, now=T0 + minutes(6))
    assert queue.record_rating("helped", "4", now=T0 + minutes(7)) == "ticket"
    assert queue.record_rating("helped", 5, now=T0 + minutes(8)) == "ticket"  # changed mind
    ticket = queue.get_ticket(ticket_id)
    assert (ticket.rating, ticket.rated_at) == (5, T0 + minutes(8))
    # Long after the agent closed it, a rating is about the bot's latest help.
    assert queue.record_rating("helped", 3, now=T0 + minutes(6) + dt.timedelta(hours=3)) == "bot"
    with pytest.raises(ValueError):
        queue.record_rating("helped", 6)
    with pytest.raises(ValueError):
        queue.record_rating("helped", "great")
    with session_scope(handoff_url) as session:
        bot = session.execute(
            select(BotRating.conversation_id, BotRating.rating).order_by(BotRating.id)
        ).all()
    assert [tuple(r) for r in bot] == [("solo", 5), ("helped", 3)]


def test_rating_window_is_configurable(handoff_url, two_agents, monkeypatch):
    rina, _ = two_agents
    ticket_id = queue.enqueue("helped", "telegram", "bn", "complaint", now=T0).ticket_id
    queue.claim(ticket_id, rina.id, now=T0)
    queue.resolve(ticket_id, rina.id, now=T0 + minutes(5))
    monkeypatch.setenv("HANDOFF_RATING_WINDOW_MINUTES", "10")
    assert queue.record_rating("helped", 2, now=T0 + minutes(20)) == "bot"
    monkeypatch.setenv("HANDOFF_RATING_WINDOW_MINUTES", "30")
    assert queue.record_rating("helped", 2, now=T0 + minutes(20)) == "ticket"


def test_snapshot_shows_agents_and_counts(handoff_url, two_agents):
    rina, karim = two_agents
    go_online(rina, now=T0)
    a = queue.enqueue("c-a", "socketio", "en", "low_confidence", "what??", now=T0).ticket_id
    queue.enqueue("c-b", "telegram", "bn", "complaint", "খুব খারাপ সার্ভিস", now=T0 + minutes(1))
    queue.claim(a, rina.id, now=T0 + minutes(2))
    agents.touch(rina.id, now=T0 + minutes(2))  # her console is open
    data = queue.queue_snapshot(now=T0 + minutes(3)).to_json()
    assert [t["conversation_id"] for t in data["waiting"]] == ["c-b"]
    assert data["waiting"][0]["wait_seconds"] == 120
    assert data["waiting"][0]["last_message"] == "খুব খারাপ সার্ভিস"
    assert data["assigned"][0]["agent_name"] == "রিনা"
    assert {a["display_name"]: a["online"] for a in data["agents"]} == {"রিনা": True, "Karim": False}
    assert data["within_hours"] and data["agents_available"]


# --- PostgreSQL ----------------------------------------------------------------------------


def test_postgres_claims_are_atomic_with_skip_locked(pg_handoff_url):
    url = pg_handoff_url
    with get_engine(url).connect() as connection:
        index = connection.execute(
            text(
                "SELECT indexdef FROM pg_indexes "
                "WHERE indexname = 'uq_handoff_tickets_open_conversation'"
            )
        ).scalar_one()
    assert "UNIQUE" in index and "WHERE" in index
    team = [agents.create_agent(f"pg{i}", f"PG {i}", PASSWORD, url=url) for i in range(4)]
    ids = {
        queue.enqueue(
            f"pg-{i}", "telegram", "bn", "complaint", now=T0 + minutes(i), url=url
        ).ticket_id
        for i in range(30)
    }
    barrier = threading.Barrier(len(team))

    def work(agent):
        barrier.wait()
        taken = []
        while True:
            ticket = queue.claim_next(agent.id, url=url)
            if ticket is None:
                return taken
            taken.append(ticket.id)

    with ThreadPoolExecutor(len(team)) as pool:
        batches = list(pool.map(work, team))
    taken = [t for batch in batches for t in batch]
    assert sorted(taken) == sorted(ids)
    # Direct claims of one ticket: one winner.
    ticket_id = queue.enqueue("pg-race", "telegram", "bn", "complaint", url=url).ticket_id
    gate = threading.Barrier(2)

    def claim(agent):
        gate.wait()
        return queue.claim(ticket_id, agent.id, url=url)

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(claim, team[:2])) == [False, True]
    # One open ticket per conversation, also on PostgreSQL.
    with ThreadPoolExecutor(6) as pool:
        results = list(
            pool.map(
                lambda i: queue.enqueue("pg-same", "telegram", "bn", "complaint", url=url), range(6)
            )
        )
    assert len({r.ticket_id for r in results}) == 1 and sum(r.created for r in results) == 1


def test_postgres_skip_locked_passes_over_a_row_being_claimed(pg_handoff_url):
    """While one transaction holds the oldest waiting row, claim_next takes the next one."""
    url = pg_handoff_url
    rina = agents.create_agent("rina", "রিনা", PASSWORD, url=url)
    first = queue.enqueue("pg-1", "telegram", "bn", "complaint", now=T0, url=url).ticket_id
    second = queue.enqueue(
        "pg-2", "telegram", "bn", "complaint", now=T0 + minutes(1), url=url
    ).ticket_id
    with get_engine(url).connect() as other:
        transaction = other.begin()
        locked = other.execute(
            text(
                "SELECT id FROM handoff_tickets WHERE state = 'waiting' ORDER BY created_at, id "
                "LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
        ).scalar_one()
        assert locked == first
        claimed = queue.claim_next(rina.id, url=url)
        assert claimed is not None and claimed.id == second
        transaction.rollback()
    assert queue.claim_next(rina.id, url=url).id == first


def _thousand_racing_claims(url):
    """1,000 waiting tickets; four agents claim every one of them at the same time, each in
    its own order: every ticket has exactly one winner."""
    import random

    team = [agents.create_agent(f"racer{i}", f"Racer {i}", PASSWORD, url=url) for i in range(4)]
    ids = [
        queue.enqueue(
            f"race-{i}",
            "socketio",
            "bn",
            "customer_request",
            now=T0 + dt.timedelta(seconds=i),
            url=url,
        ).ticket_id
        for i in range(1000)
    ]
    barrier = threading.Barrier(len(team))

    def work(agent):
        order = list(ids)
        random.Random(agent.id).shuffle(order)
        barrier.wait()
        return [
            (ticket_id, agent.id)
            for ticket_id in order
            if queue.claim(ticket_id, agent.id, url=url)
        ]

    with ThreadPoolExecutor(len(team)) as pool:
        wins = [win for batch in pool.map(work, team) for win in batch]
    winners = {}
    for ticket_id, agent_id in wins:
        assert ticket_id not in winners, f"ticket {ticket_id} claimed twice"
        winners[ticket_id] = agent_id
    assert sorted(winners) == sorted(ids)
    with session_scope(url) as session:
        stored = dict(session.execute(select(Ticket.id, Ticket.agent_id)).all())
    assert all(stored[t] == a for t, a in winners.items())


def test_a_thousand_racing_claims_have_one_winner_each(handoff_url):
    _thousand_racing_claims(handoff_url)


def test_a_thousand_racing_claims_on_postgres(pg_handoff_url):
    _thousand_racing_claims(pg_handoff_url)
