"""SebaNLG: reply language per conversation and shop settings in responses."""

import asyncio

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba.nlg import SebaNLG

DOMAIN = Domain.from_yaml("""
version: "3.1"
slots:
  language:
    type: categorical
    values: [bn, en]
    influence_conversation: false
    mappings:
    - type: custom
responses:
  utter_delivery_charge:
  - text: "ঢাকার ভেতরে ডেলিভারি চার্জ {delivery_charge_inside_dhaka}।"
  - text: "Delivery inside Dhaka costs {delivery_charge_inside_dhaka}."
    condition:
    - type: slot
      name: language
      value: en
  utter_status:
  - text: "অর্ডার {order_number}: {status}"
  - text: "Order {order_number}: {status}"
    condition:
    - type: slot
      name: language
      value: en
""")


def _reply(*texts, response="utter_delivery_charge", **kwargs):
    tracker = DialogueStateTracker.from_events("c1", [UserUttered(t) for t in texts])
    nlg = SebaNLG(domain=DOMAIN)
    return asyncio.run(nlg.generate(response, tracker, "rest", **kwargs))["text"]


def test_bangla_and_banglish_get_bangla_with_settings_values():
    assert _reply("ডেলিভারি চার্জ কত?") == "ঢাকার ভেতরে ডেলিভারি চার্জ ৭০ টাকা।"
    assert _reply("delivery charge koto vai?") == "ঢাকার ভেতরে ডেলিভারি চার্জ ৭০ টাকা।"


def test_english_gets_english():
    assert _reply("What is the delivery charge?") == "Delivery inside Dhaka costs BDT 70."


def test_neutral_message_keeps_conversation_language():
    assert _reply("What is the delivery charge?", "10456") == "Delivery inside Dhaka costs BDT 70."


def test_action_values_fill_the_template():
    text = _reply(
        "where is my order", response="utter_status", order_number="10456", status="shipped"
    )
    assert text == "Order 10456: shipped"
