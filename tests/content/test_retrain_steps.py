"""The retrain job's steps that need no training (seba.content.retrain): the content checks
through ``seba.content.check.run_checks`` (a stand-in module here), their errors as reasons
in both languages, a broken check refusing rather than waving through, failed conversation
tests in plain words, and the held-out gate's reasons in Bangla."""

import copy
import sys
import types
from dataclasses import dataclass
from typing import Optional

import pytest

from seba.content import gate, retrain
from tests.content.test_retrain_gate import LIVE


@dataclass(frozen=True)
class FakeProblem:  # the shape of seba.content.problems.Problem
    check: str
    severity: str
    file: str
    line: Optional[int]
    message_en: str
    message_bn: str
    fix_en: str
    fix_bn: str


@pytest.fixture
def checks(monkeypatch):
    """A stand-in ``seba.content.check`` whose run_checks returns ``checks.found``."""
    module = types.ModuleType("seba.content.check")
    module.found, module.roots = [], []

    def run_checks(root):
        module.roots.append(root)
        if isinstance(module.found, Exception):
            raise module.found
        return module.found

    module.run_checks = run_checks
    monkeypatch.setitem(sys.modules, "seba.content.check", module)
    return module


def test_the_content_checks_errors_become_reasons_in_both_languages(checks, tmp_path):
    checks.found = [
        FakeProblem(
            "few_examples",
            "error",
            "data/nlu/faq.yml",
            96,
            "faq/delivery_charge has 2 Banglish examples; it needs 5.",
            "faq/delivery_charge-এ বাংলিশ উদাহরণ ২টি; দরকার ৫টি।",
            "Add 3 more Banglish examples.",
            "আরও ৩টি বাংলিশ উদাহরণ যোগ করুন।",
        ),
        FakeProblem(
            "near_duplicate", "warning", "data/nlu/faq.yml", 12, "close", "কাছাকাছি", "look", "দেখুন"
        ),
    ]
    found, complete = retrain.content_problems(tmp_path)
    assert complete and checks.roots == [tmp_path]
    reasons = retrain.check_problems_as_reasons(found)
    assert reasons == [
        {  # the warning does not refuse
            "title": "Check “few_examples” failed in data/nlu/faq.yml, line 96",
            "detail": "faq/delivery_charge has 2 Banglish examples; it needs 5.",
            "fix": "Add 3 more Banglish examples.",
            "title_bn": "«few_examples» যাচাইয়ে ভুল পাওয়া গেছে: data/nlu/faq.yml, ৯৬ নম্বর লাইন",
            "detail_bn": "faq/delivery_charge-এ বাংলিশ উদাহরণ ২টি; দরকার ৫টি।",
            "fix_bn": "আরও ৩টি বাংলিশ উদাহরণ যোগ করুন।",
        }
    ]


def test_a_check_that_crashes_refuses_the_candidate(checks, tmp_path):
    checks.found = RuntimeError("boom")
    found, complete = retrain.content_problems(tmp_path)
    reasons = retrain.check_problems_as_reasons(found)
    assert complete and len(reasons) == 1
    assert "could not finish (RuntimeError)" in reasons[0]["detail"]
    assert reasons[0]["detail_bn"]


def test_failed_conversation_tests_in_plain_words():
    # The shape of Rasa 3.6's results/failed_test_stories.yml for e2e test stories.
    text = """version: "3.1"
stories:
- story: postage question (English) (tests/conversations/basics.yml)
  steps:
  - user: |-
      how much is postage
    intent: faq/delivery_charge  # predicted: product_info: how much is postage
  - action: utter_faq  # predicted: action_product_info
- story: greeting (English) (tests/conversations/basics.yml)
  steps:
  - user: |-
      Hi there
    intent: greet
  - action: utter_greet  # predicted: utter_goodbye
  - action: action_listen  # predicted: action_default_fallback
- story: wrong action on purpose (/tmp/s.yml)
  steps:
  - intent: greet
  - action: utter_goodbye  # predicted: utter_greet
  - action: action_listen  # predicted: action_default_fallback
"""
    words = {"utter_goodbye": "Goodbye! Thank you for shopping with us."}
    reasons = retrain.failed_stories(text, lambda name: words.get(name, ""))
    # One reason per story: its first mistake (the rest follow from it).
    assert [r["title"] for r in reasons] == [
        "Conversation test “postage question (English)” failed",
        "Conversation test “greeting (English)” failed",
        "Conversation test “wrong action on purpose” failed",
    ]
    assert reasons[0]["detail"] == (
        "The customer's message “how much is postage” should be "
        "understood as faq/delivery_charge, but the new model "
        "understood product_info."
    )
    assert reasons[1]["detail"] == (
        "After the customer wrote “Hi there”, the bot should have "
        "done utter_greet but did utter_goodbye, saying: “Goodbye! "
        "Thank you for shopping with us.”."
    )
    assert reasons[1]["title_bn"] == "কথোপকথনের পরীক্ষা «greeting (English)» পাস করেনি"
    assert "«Hi there»" in reasons[1]["detail_bn"]
    # Rasa writes no customer text for stories given as intents (tests/conversations' shape).
    assert reasons[2]["detail"] == (
        "After a customer message understood as greet, the bot "
        "should have done utter_goodbye but did utter_greet."
    )


def test_the_gate_says_why_in_bangla_too():
    worse = copy.deepcopy(LIVE)
    worse["bn"]["intent_accuracy"] = 165 / 182
    assert gate.compare(worse, LIVE, lang="bn") == [
        "বাংলা: সঠিকভাবে বোঝা বার্তা ৯৪.০% থেকে ৯০.৭% হয়েছে (১৮২টি বার্তার মধ্যে আগের "
        "চেয়ে ৬টি বেশি ভুল; সর্বোচ্চ ৫টি বদলাতে পারে)।"
    ]
    assert len(gate.compare(worse, LIVE)) == len(gate.compare(worse, LIVE, lang="bn"))
