"""couriers/intake.py on PostgreSQL, where several Rasa processes really write at once
(skipped without PostgreSQL binaries, like tests/test_postgres.py)."""

import threading

from couriers.intake import record
from couriers.pathao import Pathao
from seba.db import ShopUnavailable
from tests.couriers.helpers import ago, events, notices, order, parcel
from tests.test_postgres import pg_template, pg_url  # noqa: F401 - fixtures

PATHAO = Pathao()


def race(*jobs):
    """Run the jobs at the same moment; returns what each returned (or "retry")."""
    results, start = [None] * len(jobs), threading.Barrier(len(jobs))

    def run(i, job):
        start.wait()
        try:
            results[i] = job()
        except ShopUnavailable:
            results[i] = "retry"

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def call(pg_url, event, when):  # noqa: F811 - the fixture's value
    updates = PATHAO.parse({"consignment_id": "DL-PG-1", "event": event, "updated_at": str(when)})
    return lambda: record(PATHAO, updates, "{}", pg_url)


def test_racing_redeliveries_store_one_event(pg_url):  # noqa: F811
    number = parcel(pg_url, "pathao", "DL-PG-1")
    same = call(pg_url, "order.delivered", ago(5))
    results = race(*[same] * 6)
    assert sum(1 for r in results if r != "retry" and r.stored == 1) == 1
    assert len(events(pg_url)) == 1 and len(notices(pg_url)) == 1
    assert order(pg_url, number).status == "delivered"


def test_a_late_older_event_racing_a_newer_one_never_wins(pg_url):  # noqa: F811
    """Without the order's row lock both would read "no stage yet" and the later commit
    would win, even if it is the older event."""
    for round in range(5):
        number = parcel(pg_url, "pathao", "DL-PG-1")  # no stage yet, each round
        newer, older = ago(5 + round), ago(60 + round)  # new event keys each round
        race(call(pg_url, "order.delivered", newer), call(pg_url, "order.in-transit", older))
        now = order(pg_url, number)
        assert (now.status, now.courier_stage, now.courier_stage_at) == (
            "delivered",
            "delivered",
            newer,
        )
