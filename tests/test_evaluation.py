"""seba.evaluation's scoring and reporting, on hand-made predictions (no model)."""

import json

import pytest

from seba import evaluation
from seba.evaluation import (
    MARK_END,
    MARK_START,
    format_markdown,
    load_set,
    percentile,
    score,
    score_set,
    summarise_cv,
    update_readme,
)


def row(text, gold, pred, ms=None):
    """A scored message: gold and predicted keys ("faq/x" or an intent)."""
    return {
        "text": text,
        "intent": gold.split("/")[0],
        "key": gold,
        "pred": pred.split("/")[0],
        "pred_key": pred,
        "ms": ms,
    }


ROWS = [
    row("where is my parcel", "order_status", "order_status", 10),
    row("parcel kothay", "order_status", "order_status", 20),
    row("order 2349876512345 kothay", "order_status", "inform", 30),
    row("delivery charge?", "faq/delivery_charge", "faq/delivery_charge", 40),
    row("how long to sylhet", "faq/delivery_time", "faq/delivery_charge", 50),
    row("refund policy", "return_policy", "out_of_scope", 60),
    row("weather tomorrow", "out_of_scope", "out_of_scope", 70),
    row("reset my password", "out_of_scope", "nlu_fallback", 80),
    row("price of iphone", "out_of_scope", "product_info", 90),
    row("when is eid", "out_of_scope", "faq/business_hours", 100),
]


def test_score_counts_what_the_customer_gets():
    s = score(ROWS)
    assert s["examples"] == 10 and s["in_scope_examples"] == 6 and s["oos_examples"] == 4
    # understood: 2 order_status + delivery_charge; the FAQ with the wrong key is not
    assert s["in_scope_accuracy"] == pytest.approx(3 / 6)
    # intent level: the wrong FAQ key still has intent faq; nlu_fallback is not out_of_scope
    assert s["intent_accuracy"] == pytest.approx(5 / 10)
    assert s["faq_key_accuracy"] == pytest.approx(1 / 2)
    assert s["oos_detected"] == pytest.approx(2 / 4)  # nlu_fallback counts as caught
    assert s["in_scope_rejected"] == pytest.approx(1 / 6)
    assert s["recall"]["order_status"] == {"examples": 3, "recall": pytest.approx(2 / 3)}
    assert s["recall"]["out_of_scope"]["recall"] == pytest.approx(1 / 4)  # key-level
    assert s["nlu_ms"] == {"p50": 50, "p95": 100}
    assert len(s["errors"]) == 6


def test_confusions_are_counted_and_worst_first():
    rows = ROWS + [row("eid kobe", "out_of_scope", "faq/business_hours")]
    confusions = score(rows)["confusions"]
    assert confusions[0] == {"gold": "out_of_scope", "predicted": "faq/business_hours", "count": 2}
    assert sum(c["count"] for c in confusions) == 7


def test_macro_f1_is_one_only_when_all_are_right():
    right = [row("a", "greet", "greet"), row("b", "thank", "thank")]
    assert score(right)["macro_f1"] == 1.0
    assert score(right + [row("c", "greet", "thank")])["macro_f1"] < 1.0


def test_empty_and_untimed_sets_say_none_not_zero():
    s = score([row("a", "greet", "greet")])
    assert s["nlu_ms"] is None and s["oos_detected"] is None and s["faq_key_accuracy"] is None
    assert score([])["intent_accuracy"] == 0.0


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert percentile([7], 95) == 7 and percentile([], 50) is None
    assert percentile([3, 1, 2], 50) == 2


def test_score_set_adds_all_varieties_together():
    report = score_set({"en": ROWS[:5], "banglish": ROWS[5:]})
    assert list(report) == ["en", "banglish", "all"]
    assert report["all"]["examples"] == 10 and report["en"]["oos_examples"] == 0


def test_markdown_block_shows_figures_goals_and_model():
    reports = {"heldout": score_set({"en": ROWS}), "wide": score_set({"bn": ROWS})}
    cv = summarise_cv(
        {
            "greet": {"precision": 1.0, "recall": 1.0, "f1-score": 1.0, "support": 30},
            "faq": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 70},
            "accuracy": 0.93,
            "macro avg": {"f1-score": 0.925, "support": 100},
            "weighted avg": {"f1-score": 0.895, "support": 100},
        },
        {"accuracy": 0.97},
        5,
    )
    info = {"model": "models/seba.tar.gz", "trained_at": "2026-12-01", "commit": "abc1234"}
    text = format_markdown(reports, cv, info)
    assert "`abc1234`" in text and "models/seba.tar.gz" in text
    assert "| English | 10 (4 out of scope) | 50.0% ✗ |" in text  # below the 90% goal
    assert "| 50 / 100 |" in text  # NLU ms
    assert "| faq/delivery_time | 0.0% (1) | 0.0% (1) |" in text  # recall table
    assert "| out_of_scope | faq/business_hours | 1 |" in text
    assert "5 folds" in text and "100 examples" in text and "intent accuracy 93.0%" in text
    assert "FAQ key accuracy 97.0%" in text and "faq 85.0%" in text
    assert "rejected" in text and MARK_START not in text


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{MARK_START}\nold figures\n{MARK_END}\nafter\n", "utf-8")
    assert update_readme("new figures", readme)
    assert readme.read_text("utf-8") == (
        f"# Title\n\nbefore\n{MARK_START}\nnew figures\n{MARK_END}\nafter\n"
    )
    assert update_readme("newer", readme)  # twice: still one block
    assert readme.read_text("utf-8").count(MARK_START) == 1


def test_readme_without_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no block here\n", "utf-8")
    assert not update_readme("figures", readme)
    assert readme.read_text("utf-8") == "# no block here\n"
    assert not update_readme("figures", tmp_path / "missing.md")


def test_load_set_reads_varieties_and_leaves_two_request_messages_out(tmp_path):
    for folder, intent, text in [
        ("en", "faq/delivery_time", "how long to ship"),
        ("bn", "order_status", "পার্সেল কোথায়"),
        ("multi", "order_status", "where is it and how do i return it"),
    ]:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.yml").write_text(
            f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n    - {text}\n', "utf-8"
        )
    examples = load_set(tmp_path)
    assert set(examples) == {"en", "bn"}
    assert examples["en"] == [
        {"text": "how long to ship", "intent": "faq", "key": "faq/delivery_time"}
    ]


def test_set_names_and_directories():
    assert evaluation.set_dir("wide") == evaluation.WIDE_DIR
    assert evaluation.set_dir("heldout") == evaluation.HELDOUT_DIR
    assert str(evaluation.set_dir("/tmp/x")) == "/tmp/x"


def test_cross_validation_summary_from_rasas_report():
    report = json.loads(
        json.dumps(
            {
                "order_status": {"f1-score": 0.5, "support": 10},
                "greet": {"f1-score": 1.0, "support": 5},
                "accuracy": 0.8,
                "macro avg": {"f1-score": 0.75},
                "weighted avg": {"f1-score": 0.66},
            }
        )
    )
    cv = summarise_cv(report, None, 3)
    assert cv["examples"] == 15 and cv["folds"] == 3 and cv["faq_key_accuracy"] is None
    assert cv["worst_intents"][0] == {"intent": "order_status", "f1": 0.5, "support": 10}
    assert cv["intent_accuracy"] == 0.8 and cv["macro_f1"] == 0.75
