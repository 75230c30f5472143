"""Order checks that cannot be sprayed (seba/verification.py), on a real SQLite database.

The stranger's attempts first: many wrong phones for one order, over several
conversations and sessions; one phone against many orders; racing attempts from many
threads; the right phone after a lock. Then what must keep working: a customer who
mistypes once, then gets it right; an agent lifting a lock.
"""

import datetime as dt
import threading

import pytest

from seba import verification as v
from seba.db import session_scope
from seba.db.models import VerificationAttempt
from seba.settings import VerificationPolicy

RULES = VerificationPolicy(
    window_minutes=60,
    max_failures_per_order=5,
    lock_hours=24,
    max_failures_per_phone=10,
    max_failures_per_conversation=3,
    slow_down_seconds=5,
    idle_minutes=30,
)
T0 = dt.datetime(2026, 12, 1, 12, 0, 0)
ORDER, PHONE = "10456", "01711000001"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def check(db, number, phone, conversation, seconds, rules=RULES):
    return v.check(number, phone, conversation, "socketio", now=at(seconds), rules=rules, url=db)


def test_the_right_pair_verifies_and_a_wrong_one_reveals_nothing(db_url):
    ok = check(db_url, "#১০৪৫৬", "+880 1711-000001", "web:a", 0)
    assert (ok.status, ok.order_number, ok.phone) == (v.VERIFIED, ORDER, PHONE)
    wrong = check(db_url, ORDER, "01711000009", "web:b", 0)
    assert wrong.status == v.MISMATCH and wrong.order_number is None and wrong.phone is None


def test_spraying_one_order_from_many_conversations_locks_it(db_url):
    # Five strangers' conversations (new sessions, other channels) try one wrong phone each.
    for n in range(5):
        outcome = check(db_url, ORDER, f"0171100010{n}", f"web:stranger{n}", n * 60)
    assert outcome.status == v.LOCKED
    # Now even the right phone reveals nothing, from a brand-new conversation.
    assert check(db_url, ORDER, PHONE, "tg:42", 400).status == v.LOCKED
    assert [lock.order_number for lock in v.active_locks(now=at(400), url=db_url)] == [ORDER]
    # Other orders are not affected.
    assert check(db_url, "10457", "01811000002", "tg:42", 400).status == v.VERIFIED


def test_the_lock_expires_or_is_lifted_and_the_count_starts_afresh(db_url):
    for n in range(5):
        check(db_url, ORDER, f"0171100010{n}", f"web:s{n}", n)
    assert check(db_url, ORDER, PHONE, "web:owner", 60).status == v.LOCKED
    assert v.lift(ORDER, "রিনা", now=at(120), url=db_url)
    assert not v.lift(ORDER, "রিনা", now=at(121), url=db_url)  # nothing left to lift
    # One more typo right after the lift does not lock it again at once.
    assert check(db_url, ORDER, "01711000999", "web:owner", 130).status == v.MISMATCH
    assert check(db_url, ORDER, PHONE, "web:owner", 200).status == v.VERIFIED
    # A lock that nobody lifts expires after lock_hours.
    for n in range(5):
        check(db_url, "10457", f"0181100010{n}", f"web:t{n}", n)
    assert check(db_url, "10457", "01811000002", "web:x", 3600).status == v.LOCKED
    assert check(db_url, "10457", "01811000002", "web:x", 25 * 3600).status == v.VERIFIED


def test_one_conversation_is_slowed_down_then_exhausted(db_url):
    assert check(db_url, ORDER, "01711000100", "fb:1", 0).status == v.MISMATCH
    early = check(db_url, ORDER, "01711000101", "fb:1", 2)
    assert (early.status, early.wait_seconds) == (v.WAIT, 3)  # 5 s after the 1st failure
    assert check(db_url, ORDER, "01711000101", "fb:1", 6).status == v.MISMATCH
    assert check(db_url, ORDER, "01711000102", "fb:1", 12).status == v.WAIT  # 10 s after the 2nd
    third = check(db_url, ORDER, "01711000102", "fb:1", 17)
    assert (third.status, third.conversation_failures) == (v.MISMATCH, 3)
    # A fourth try (even the right phone) from this conversation is not checked.
    assert check(db_url, ORDER, PHONE, "fb:1", 100).status == v.EXHAUSTED
    # The window slides: an hour later the conversation may try again.
    assert check(db_url, ORDER, PHONE, "fb:1", 3700).status == v.VERIFIED


def test_one_phone_against_many_orders_is_refused(db_url):
    numbers = [str(10460 + n) for n in range(10)]
    for n, number in enumerate(numbers):
        check(db_url, number, "01999999999", f"web:p{n}", n)
    assert check(db_url, "10470", "01999999999", "web:new", 20).status == v.LOCKED


def test_racing_attempts_on_one_order_are_counted_one_by_one(db_url):
    barrier = threading.Barrier(12)
    outcomes = []

    def attempt(n: int) -> None:
        barrier.wait()
        outcomes.append(check(db_url, ORDER, f"017110002{n:02d}", f"web:race{n}", 1))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(o.status for o in outcomes)
    assert statuses.count(v.MISMATCH) == 4 and statuses.count(v.LOCKED) == 8, statuses
    with session_scope(db_url) as session:
        recorded = session.query(VerificationAttempt).filter_by(order_number=ORDER).count()
    assert recorded == 5  # checks after the lock were not even made
    assert check(db_url, ORDER, PHONE, "web:owner", 5).status == v.LOCKED


def test_phones_are_stored_masked_and_keyed(db_url):
    check(db_url, ORDER, "01711000777", "web:m", 0)
    with session_scope(db_url) as session:
        row = session.query(VerificationAttempt).one()
        assert row.phone_masked == "017•••••777"
        assert "01711000777" not in (row.phone_key + row.phone_masked)


@pytest.mark.parametrize(
    "verified_at, now, fresh",
    [
        (1000.0, 1000.0 + 29 * 60, True),
        (1000.0, 1000.0 + 31 * 60, False),
        (None, 5.0, False),
        ("junk", 5.0, False),
    ],
)
def test_a_verification_lasts_its_idle_time(verified_at, now, fresh):
    assert v.still_verified(ORDER, verified_at, now=now, rules=RULES) is fresh
