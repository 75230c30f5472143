"""domain.yml responses, checked as content staff edit them.

Every response: the Bangla text first (no condition), one English variation
(condition language=en), the same placeholders and buttons in both, no policy
numbers typed in (they come from shop.yml), and it renders through SebaNLG.
Every response an action or form uses exists.
"""

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba import PROJECT_ROOT
from seba.content import limits
from seba.nlg import SebaNLG
from seba.settings import load_settings

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
RAW = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))
RESPONSES = RAW["responses"]
EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]
BENGALI = re.compile(r"[\u0980-\u09FF]")
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")

# Values custom actions pass to responses: the content checks own the list.
ACTION_VALUES = limits.ACTION_VALUES
# Digits a response may contain: examples of the formats we ask for and list numbering.
ALLOWED_NUMBERS = {
    "10456",
    "১০৪৫৬",
    "017",
    "০১৭",
    "11",
    "১১",
    "1",
    "2",
    "3",
    "১",
    "২",
    "৩",
    "4",
    "5",
    "৪",
    "৫",
}  # ... and the 1-5 rating scale


def _variations(name):
    return RESPONSES[name]


def _texts(variation):
    texts = [variation.get("text", "")]
    for key in ("buttons", "quick_replies"):
        texts += [b["title"] for b in variation.get(key, [])]
    return texts


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_bangla_default_and_english_variation(name):
    variations = _variations(name)
    assert len(variations) == 2, "one Bangla and one English variation"
    bn, en = variations
    assert "condition" not in bn, "the Bangla text is the default variation"
    assert en.get("condition") == EN_CONDITION
    if name != "utter_faq/warranty":  # its whole text comes from shop.yml
        assert BENGALI.search(bn["text"]), "the default variation is in Bangla"
        assert not BENGALI.search(en["text"])
    assert set(PLACEHOLDER.findall(bn["text"])) == set(PLACEHOLDER.findall(en["text"]))
    for key in ("buttons", "quick_replies"):
        bn_payloads = [b["payload"] for b in bn.get(key, [])]
        en_payloads = [b["payload"] for b in en.get(key, [])]
        if all(p.startswith("/") for p in bn_payloads + en_payloads):
            assert bn_payloads == en_payloads
        else:  # typed-text payloads are in the reply language
            assert len(bn_payloads) == len(en_payloads)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_placeholders_are_known(name):
    known = set(RAW["slots"]) | set(load_settings().template_vars("bn")) | ACTION_VALUES
    for variation in _variations(name):
        unknown = set(PLACEHOLDER.findall(variation["text"])) - known
        assert not unknown, f"unknown placeholders {unknown}"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_no_policy_numbers_typed_into_responses(name):
    for variation in _variations(name):
        for text in _texts(variation):
            numbers = set(re.findall(r"[0-9০-৯]+", PLACEHOLDER.sub("", text)))
            assert numbers <= ALLOWED_NUMBERS, f"use a shop.yml variable, not {numbers}"


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_buttons_fit_messenger(name):
    for variation in _variations(name):
        assert len(variation.get("buttons", [])) <= 3, "Messenger shows at most 3 buttons"
        assert len(variation.get("quick_replies", [])) <= 13
        for button in variation.get("buttons", []) + variation.get("quick_replies", []):
            assert len(button["title"]) <= 20, "Messenger cuts titles after 20 characters"


def test_every_response_used_by_actions_and_forms_exists():
    used = set()
    for path in Path(PROJECT_ROOT / "actions").glob("*.py"):
        used |= set(re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
    for spec in RAW["forms"].values():
        used |= {f"utter_ask_{slot}" for slot in spec["required_slots"]}
    used.discard("utter_action")  # Rasa's metadata key on bot events, not a response
    assert used - set(RESPONSES) == set()


@pytest.fixture(scope="module")
def nlg():
    return SebaNLG(domain=Domain.from_path(str(DOMAIN_FILE)))


def _render(nlg, name, text, **values):
    tracker = DialogueStateTracker.from_events("t", [UserUttered(text)])
    return asyncio.run(nlg.generate(name, tracker, "rest", **values))


@pytest.mark.parametrize("name", sorted(RESPONSES))
@pytest.mark.parametrize("text", ["আমার অর্ডার কোথায়?", "Where is my order?"])
def test_every_response_renders(nlg, name, text):
    values = {key: f"<{key}>" for key in ACTION_VALUES}
    message = _render(nlg, name, text, verified_order="10456", **values)
    assert message and message["text"]
    assert "{" not in message["text"] and "}" not in message["text"]
    assert (
        bool(BENGALI.search(message["text"])) == (text.startswith("আ"))
        or name == "utter_faq/warranty"
    )


def test_button_payloads_with_entities_render_as_json(nlg):
    message = _render(nlg, "utter_ask_return_reason", "ferot dibo")
    payloads = [b["payload"] for b in message["quick_replies"]]
    assert payloads == [
        '/inform{"return_reason": "wrong_size_or_colour"}',
        '/inform{"return_reason": "damaged"}',
        '/inform{"return_reason": "not_as_described"}',
        '/inform{"return_reason": "changed_mind"}',
    ]
    assert BENGALI.search(message["text"])  # Banglish is answered in Bangla


def test_policy_values_come_from_the_settings(nlg):
    message = _render(nlg, "utter_faq/delivery_charge", "delivery charge koto?")
    assert "৭০ টাকা" in message["text"] and "১৩০ টাকা" in message["text"]
    message = _render(nlg, "utter_return_policy", "What is your return policy?")
    assert f"{load_settings().return_window_days} days" in message["text"]


def test_action_server_registers_exactly_the_domain_actions():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(RAW["actions"])
