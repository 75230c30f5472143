"""A whole order-status conversation over HTTP, with the real servers."""

import datetime as dt
import uuid

import pytest

from seba import i18n

pytestmark = pytest.mark.slow


def say(stack, sender, text):
    return " ".join(m.get("text", "") for m in stack.say(sender, text))


def slots(stack, sender):
    return stack.tracker(f"rest:{sender}")["slots"]


def test_order_status_in_bangla_with_bengali_digits(rasa_stack, demo_today):
    sender = f"bn-{uuid.uuid4().hex[:8]}"
    first = say(rasa_stack, sender, "আমার অর্ডারটা কোথায় আছে?")
    assert first and slots(rasa_stack, sender)["requested_slot"] == "order_number"
    assert "অর্ডার" in first  # asked in Bangla

    second = say(rasa_stack, sender, "১০৪৫৬")
    assert slots(rasa_stack, sender)["requested_slot"] == "phone"
    assert "PTH123456" not in second  # nothing revealed before the phone matches

    answer = say(rasa_stack, sender, "০১৭১১০০০০০১")
    assert "PTH123456" in answer
    # The demo data's "today" is the shop's (Asia/Dhaka), not the machine's: after 18:00 UTC
    # they differ by a day.
    expected = i18n.date(demo_today + dt.timedelta(days=2), "bn")
    assert expected in answer, answer  # expected delivery date, in Bangla


def test_wrong_phone_reveals_nothing(rasa_stack):
    sender = f"bn-{uuid.uuid4().hex[:8]}"
    say(rasa_stack, sender, "অর্ডার ১০৪৫৬ এর কি অবস্থা?")
    reply = say(rasa_stack, sender, "০১৭১১৯৯৯৯৯৯")
    assert "PTH123456" not in reply and "Pathao" not in reply
    assert reply  # a polite answer, never silence


def test_english_conversation_gets_english_replies(rasa_stack):
    sender = f"en-{uuid.uuid4().hex[:8]}"
    say(rasa_stack, sender, "Where is my order? The number is 10456")
    answer = say(rasa_stack, sender, "+8801711000001")
    assert "PTH123456" in answer
    assert not any("\u0980" <= ch <= "\u09ff" for ch in answer), answer


def test_action_server_down_gets_an_apology(rasa_without_actions):
    sender = f"down-{uuid.uuid4().hex[:8]}"
    reply = say(rasa_without_actions, sender, "অর্ডার ১০৪৫৬, ফোন ০১৭১১০০০০০১, আমার অর্ডার কোথায়?")
    assert reply, "the customer must not be left in silence"
    assert "09678-123456" in reply  # the apology gives the shop's phone (shop.yml)
