"""couriers/intake.py directly: racing redeliveries, and nothing half-written on failure."""

import threading

import pytest

from couriers.intake import record
from couriers.pathao import Pathao
from seba.db import ShopUnavailable
from tests.couriers.helpers import ago, events, notices, order, parcel

PATHAO = Pathao()


def test_racing_redeliveries_store_one_event_and_one_notice(db_url):
    """Two Rasa workers get the same call at once: one row, one notice; the loser fails
    (503: the courier's retry is then a duplicate), it never writes a second notice."""
    number = parcel(db_url, "pathao", "DL-RACE-1")
    updates = PATHAO.parse(
        {"consignment_id": "DL-RACE-1", "event": "order.delivered", "updated_at": str(ago(5))}
    )
    results, start = [], threading.Barrier(4)

    def deliver():
        start.wait()
        try:
            results.append(record(PATHAO, updates, "{}", db_url).stored)
        except ShopUnavailable:
            results.append("retry")

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and results.count(1) == 1
    assert set(results) <= {0, 1, "retry"}
    assert len(events(db_url)) == 1 and len(notices(db_url)) == 1
    assert order(db_url, number).status == "delivered"
    assert record(PATHAO, updates, "{}", db_url).duplicates == 1  # the retry


def test_a_failure_mid_call_writes_nothing(db_url, monkeypatch):
    """Event, order change and notice commit together or not at all."""
    number = parcel(db_url, "pathao", "DL-HALF-1")
    updates = PATHAO.parse(
        {"consignment_id": "DL-HALF-1", "event": "order.delivered", "updated_at": str(ago(5))}
    )

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("couriers.intake.OrderNotice.__init__", broken)
    with pytest.raises(RuntimeError):
        record(PATHAO, updates, "{}", db_url)
    monkeypatch.undo()
    assert events(db_url) == [] and notices(db_url) == []
    assert order(db_url, number).status == "shipped"
