"""The deliverer's decisions that need no server: what counts as already told, the
customer's last message (Messenger's window), the trigger's entities."""

import time

from rasa.shared.core.events import BotUttered, UserUttered

from seba.notices import deliverer
from seba.notices.outbox import Plan


def external(notice_id: str, intent: str = "EXTERNAL_order_update") -> UserUttered:
    return UserUttered.create_external(intent, [{"entity": "notice_id", "value": notice_id}])


def test_a_notice_in_the_transcript_counts_as_told_and_only_that_one():
    events = [UserUttered("hi", timestamp=1.0), external("7"), BotUttered("…")]
    assert deliverer.already_told(events, 7)
    assert not deliverer.already_told(events, 8)
    # The customer typing the same words is not the deliverer's event.
    typed = UserUttered(
        "EXTERNAL_order_update", {"name": "greet"}, [{"entity": "notice_id", "value": "8"}]
    )
    assert not deliverer.already_told([typed], 8)


def test_messengers_window_counts_from_the_customers_last_own_message():
    now = time.time()
    old = UserUttered("hello", timestamp=now - 25 * 3600)
    recent = UserUttered("hello", timestamp=now - 3600)
    assert not deliverer.inside_window([old], now)
    assert deliverer.inside_window([old, recent], now)
    assert not deliverer.inside_window([], now)  # never wrote: no window
    pushed = external("3")
    pushed.timestamp = now  # our own push does not open the window
    assert not deliverer.inside_window([old, pushed], now)


def test_the_trigger_carries_the_notice_and_the_couriers_note():
    plan = Plan(5, "stage", "delivered", "10456", "tg:1", "telegram", detail="পৌঁছেছে")
    values = {e["entity"]: e["value"] for e in deliverer.entities_for(plan)}
    assert values == {
        "notice_id": "5",
        "notice_order": "10456",
        "notice_stage": "delivered",
        "notice_detail": "পৌঁছেছে",
    }
    assert deliverer.intent_for("failed_attempt") == "EXTERNAL_delivery_failed"
    assert deliverer.intent_for("delivered_check") == "EXTERNAL_order_update"
