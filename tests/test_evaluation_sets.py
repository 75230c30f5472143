"""The wide NLU evaluation set (tests/nlu/wide/): big enough, labelled with the domain's
intents and FAQ keys, in all three varieties, and apart from the training data and the
held-out split (the test reads them; the set's writer did not)."""

import re
from collections import Counter

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from seba import PROJECT_ROOT
from seba.content.limits import NO_EXAMPLES
from seba.evaluation import HELDOUT_DIR, LOOKALIKE_DIR, WIDE_DIR, load_set
from seba.language import detect_variety

VARIETIES = {"bn", "en", "banglish"}
# Declared in domain.yml but never a customer's message: set by code, not predicted.
NOT_PREDICTED = {"nlu_fallback", "EXTERNAL_handback", "message_too_long", "empty_message"}
# Asked by customers, but not a question on their own: left to the conversation tests.
# inform and rate are answers, not questions; the intents set by Seba itself (clarify,
# EXTERNAL_*: seba.content.limits.NO_EXAMPLES) are never written by customers.
NOT_IN_EVERY_VARIETY = {"inform", "rate"} | set(NO_EXAMPLES)
_BENGALI_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


def canonical(text: str) -> str:
    """Lower case, ASCII digits, punctuation and runs of spaces as one space. Bengali vowel
    signs are not letters to Python's \\w, so the Bengali block is kept explicitly."""
    text = text.lower().translate(_BENGALI_DIGITS)
    return re.sub(r"[^\w\u0980-\u09ff]+", " ", text).strip()


@pytest.fixture(scope="module")
def wide():
    return load_set(WIDE_DIR)


@pytest.fixture(scope="module")
def domain():
    data = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text("utf-8"))
    intents = {i if isinstance(i, str) else next(iter(i)) for i in data["intents"]}
    faq_keys = {
        name.split("/", 1)[1] for name in data["responses"] if name.startswith("utter_faq/")
    }
    return intents - NOT_PREDICTED, faq_keys


def _rows(wide):
    return [dict(r, variety=v) for v, rows in wide.items() for r in rows]


def test_canonical_form_ignores_case_digits_and_punctuation():
    assert canonical("Order ১০৪৫৬ — kothay??") == canonical("order 10456 kothay")
    assert canonical("কাল") != canonical("কল")  # vowel signs are kept


def test_the_set_is_big_enough_in_all_three_varieties(wide):
    rows = _rows(wide)
    assert set(wide) == VARIETIES
    assert len(rows) >= 1000
    assert sum(r["intent"] == "out_of_scope" for r in rows) >= 300
    for variety, vrows in wide.items():
        assert len(vrows) >= len(rows) / 4, f"{variety}: not roughly a third"
        assert sum(r["intent"] == "out_of_scope" for r in vrows) >= 90, variety


def test_every_label_is_an_intent_or_faq_key_of_the_domain(wide, domain):
    intents, faq_keys = domain
    for r in _rows(wide):
        assert r["intent"] in intents, r
        if r["intent"] == "faq":
            assert r["key"].startswith("faq/") and r["key"].split("/", 1)[1] in faq_keys, r


def test_every_intent_and_faq_key_is_asked_in_every_variety(wide, domain):
    intents, faq_keys = domain
    wanted = {f"faq/{k}" for k in faq_keys} | (intents - {"faq"} - NOT_IN_EVERY_VARIETY)
    for variety, rows in wide.items():
        missing = wanted - {r["key"] for r in rows}
        assert not missing, f"{variety}: {sorted(missing)}"


def test_the_most_asked_questions_have_the_most_messages(wide):
    counts = Counter(r["key"] for r in _rows(wide))
    for frequent in ("order_status", "faq/delivery_time", "refund_status", "cancel_order"):
        assert counts[frequent] >= 3 * counts["faq/warranty"], frequent


def test_each_variety_folder_holds_that_variety(wide):
    for variety, rows in wide.items():
        wrong = [r["text"] for r in rows if detect_variety(r["text"]) not in (variety, None)]
        assert not wrong, f"{variety}: {wrong[:10]}"


def test_no_message_twice_in_the_set(wide):
    counts = Counter(canonical(r["text"]) for r in _rows(wide))
    assert not [t for t, n in counts.items() if n > 1]


def test_no_message_is_a_training_or_heldout_example(wide):
    training = {canonical(m.get("text")) for m in _training_examples()}
    heldout = {canonical(r["text"]) for rows in load_set(HELDOUT_DIR).values() for r in rows}
    rows = _rows(wide)
    assert not [r["text"] for r in rows if canonical(r["text"]) in training]
    assert not [r["text"] for r in rows if canonical(r["text"]) in heldout]


def test_the_lookalike_set_is_out_of_scope_only_and_never_trained_on(wide):
    lookalike = load_set(LOOKALIKE_DIR)
    rows = _rows(lookalike)
    assert set(lookalike) == {"banglish", "bn", "en"} and len(rows) >= 200
    assert {r["intent"] for r in rows} == {"out_of_scope"}
    training = {canonical(m.get("text")) for m in _training_examples()}
    others = {canonical(r["text"]) for r in _rows(wide) + _rows(load_set(HELDOUT_DIR))}
    texts = [canonical(r["text"]) for r in rows]
    assert len(set(texts)) == len(texts)
    assert not [t for t in texts if t in training or t in others]


def _training_examples():
    return load_data(str(PROJECT_ROOT / "data" / "nlu")).training_examples
