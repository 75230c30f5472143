"""The outbox on a real SQLite database: leases (two workers racing), where a notice goes,
STOP/START, superseded and expired notices, the delivered check's due time."""

import datetime as dt
import threading

from seba.db import local_now
from seba.notices import outbox
from tests.notices.helpers import courier_update, notice, notices, proved


def test_a_notice_goes_to_the_conversation_that_proved_the_order(shop_db):
    proved(shop_db, "10456", "tg:111", ago_minutes=30)
    proved(shop_db, "10456", "fb:PSID9", ago_minutes=5)  # the latest check wins
    notice_id = courier_update(shop_db, "10456", "out_for_delivery")
    assert outbox.lease_due() == [notice_id]
    plan = outbox.plan(notice_id)
    assert (plan.conversation_id, plan.channel, plan.skip_reason) == ("fb:PSID9", "facebook", None)
    assert notice(shop_db, notice_id).conversation_id == "fb:PSID9"  # the target is kept


def test_a_stranger_who_failed_the_check_never_gets_the_notice(shop_db):
    from seba.db import session_scope
    from seba.db.models import VerificationAttempt

    with session_scope() as session:  # a stranger tried 10457 with the wrong phone
        session.add(
            VerificationAttempt(
                order_number="10457",
                phone_key="x",
                phone_masked="019•••••999",
                conversation_id="tg:666",
                channel="tg",
                succeeded=False,
            )
        )
    notice_id = courier_update(shop_db, "10457", "picked_up")
    outbox.lease_due()
    plan = outbox.plan(notice_id)
    assert plan.conversation_id is None and plan.skip_reason == "no_conversation"


def test_two_workers_racing_lease_each_notice_once(shop_db):
    for number in ("10456", "10457", "10458"):
        proved(shop_db, number, f"tg:{number}")
    ids = [courier_update(shop_db, n, "picked_up") for n in ("10456", "10457", "10458")] * 1
    start, leased = threading.Barrier(4), []

    def worker() -> None:
        start.wait()
        leased.extend(outbox.lease_due())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(leased) == sorted(ids)  # every notice once, none twice
    assert outbox.lease_due() == []  # leased: nobody else takes them
    assert all(notice(shop_db, i).attempts == 1 for i in ids)


def test_a_lease_expires_and_another_worker_takes_the_notice(shop_db):
    proved(shop_db, "10456", "tg:1")
    notice_id = courier_update(shop_db, "10456", "picked_up")
    assert outbox.lease_due() == [notice_id]
    later = local_now() + dt.timedelta(minutes=10)  # the first worker died
    assert outbox.lease_due(now=later) == [notice_id]
    assert notice(shop_db, notice_id).attempts == 2


def test_stop_skips_and_start_resumes(shop_db):
    proved(shop_db, "10456", "tg:5")
    outbox.set_stopped("tg:5", True)
    first = courier_update(shop_db, "10456", "picked_up")
    outbox.lease_due()
    assert outbox.plan(first).skip_reason == "stopped"
    outbox.finish(first, "skipped", "stopped")
    outbox.set_stopped("tg:5", False)
    second = courier_update(shop_db, "10456", "out_for_delivery")
    outbox.lease_due()
    assert outbox.plan(second).skip_reason is None


def test_an_older_stage_is_not_told_after_a_newer_one(shop_db):
    proved(shop_db, "10456", "tg:7")
    old = courier_update(shop_db, "10456", "out_for_delivery")
    outbox.finish(old, "waiting", "outside_window")
    courier_update(shop_db, "10456", "delivered")
    assert outbox.plan(old).skip_reason == "superseded"


def test_in_transit_is_not_told_and_rest_cannot_be_pushed(shop_db):
    proved(shop_db, "10456", "tg:8")
    assert outbox.plan(courier_update(shop_db, "10456", "in_transit")).skip_reason == (
        "stage_not_told"
    )
    proved(shop_db, "10457", "rest:app-user")
    assert outbox.plan(courier_update(shop_db, "10457", "picked_up")).skip_reason == (
        "channel_cannot_push"
    )


def test_a_notice_waiting_too_long_expires(shop_db):
    proved(shop_db, "10456", "tg:9")
    notice_id = courier_update(shop_db, "10456", "picked_up")
    in_ten_days = local_now() + dt.timedelta(days=10)
    assert outbox.plan(notice_id, now=in_ten_days).skip_reason == "expired"


def test_a_sent_delivery_schedules_the_check_hours_later(shop_db):
    proved(shop_db, "10456", "tg:10")
    notice_id = courier_update(shop_db, "10456", "delivered")
    outbox.plan(notice_id)
    now = local_now()
    outbox.finish(notice_id, "sent", now=now)
    check = [n for n in notices(shop_db, "10456") if n.kind == "delivered_check"]
    assert len(check) == 1
    assert check[0].conversation_id == "tg:10" and check[0].state == "pending"
    assert check[0].due_at == now + dt.timedelta(hours=4)  # shop.yml delivered_check_hours
    assert outbox.lease_due(now=now) == []  # not before it is due
    assert outbox.lease_due(now=now + dt.timedelta(hours=5)) == [check[0].id]


def test_a_waiting_web_notice_is_taken_by_the_worker_that_holds_the_socket(shop_db):
    proved(shop_db, "10456", "web:abc")
    notice_id = courier_update(shop_db, "10456", "picked_up")
    outbox.lease_due()
    outbox.plan(notice_id)
    soon = local_now() + dt.timedelta(minutes=5)
    outbox.finish(notice_id, "waiting", "not_connected", due_at=soon)
    assert outbox.lease_due(connected=["web:other"]) == []  # not due, not connected here
    assert outbox.lease_due(connected=["web:abc"]) == [notice_id]
