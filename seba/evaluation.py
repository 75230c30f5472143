"""Score a trained model on the held-out NLU split, per language variety.

The split lives in ``tests/nlu/heldout/<variety>/*.yml`` (bn, en, banglish) and is
never used for training. Reported per variety: intent accuracy and macro-F1,
FAQ key accuracy (``faq/<key>`` chosen by ``FaqKeySelector``), out-of-scope
detection (out_of_scope messages that end in out_of_scope/nlu_fallback) and
false rejection (in-scope messages that wrongly do).

    python -m seba.evaluation --model models/seba.tar.gz [--json out.json]
"""

import argparse
import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from seba import PROJECT_ROOT

HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
REJECTED = {"out_of_scope", "nlu_fallback"}


def load_heldout(root: Path = HELDOUT_DIR) -> Dict[str, List[Dict[str, str]]]:
    """{variety: [{"text", "intent", "key"}]} from the held-out YAML files."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: Dict[str, List[Dict[str, str]]] = {}
    for variety_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        rows = []
        for path in sorted(variety_dir.glob("*.yml")):
            for message in load_data(str(path)).intent_examples:
                rows.append(
                    {
                        "text": message.get("text"),
                        "intent": message.get("intent"),
                        "key": message.get("intent_response_key") or message.get("intent"),
                    }
                )
        examples[variety_dir.name] = rows
    return examples


def _macro_f1(gold: List[str], predicted: List[str]) -> float:
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def score(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Metrics for rows that carry gold "intent"/"key" and predicted "pred"/"pred_key"."""
    gold = [r["intent"] for r in rows]
    pred = [r["pred"] for r in rows]
    faq = [r for r in rows if r["intent"] == "faq"]
    oos = [r for r in rows if r["intent"] == "out_of_scope"]
    in_scope = [r for r in rows if r["intent"] != "out_of_scope"]
    return {
        "examples": len(rows),
        "intent_accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(rows)
        if rows
        else 0.0,
        "macro_f1": _macro_f1(gold, pred),
        "faq_key_accuracy": (
            sum(r["pred_key"] == r["key"] for r in faq) / len(faq) if faq else None
        ),
        "oos_detected": sum(r["pred"] in REJECTED for r in oos) / len(oos) if oos else None,
        "in_scope_rejected": (
            sum(r["pred"] in REJECTED for r in in_scope) / len(in_scope) if in_scope else None
        ),
        "errors": [
            {"text": r["text"], "gold": r["key"], "predicted": r["pred_key"]}
            for r in rows
            if r["pred_key"] != r["key"]
        ],
    }


async def predict(model_path: str, examples: Dict[str, List[Dict[str, str]]]) -> None:
    """Add "pred" and "pred_key" to every example, parsing with the trained model."""
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    for rows in examples.values():
        for row in rows:
            parsed = await agent.parse_message(row["text"])
            intent = (parsed.get("intent") or {}).get("name")
            key = intent
            if intent == "faq":
                selector = (parsed.get("response_selector") or {}).get("faq") or {}
                key = (selector.get("response") or {}).get("intent_response_key") or "faq"
            row["pred"], row["pred_key"] = intent, key


def evaluate(model_path: str, root: Path = HELDOUT_DIR) -> Dict[str, Any]:
    examples = load_heldout(root)
    asyncio.run(predict(model_path, examples))
    report = {variety: score(rows) for variety, rows in examples.items()}
    report["all"] = score([r for rows in examples.values() for r in rows])
    return report


def format_table(report: Dict[str, Any]) -> str:
    def pct(v: Optional[float]) -> str:
        return "–" if v is None else f"{100 * v:.1f}%"

    lines = [
        "| variety | examples | intent accuracy | macro-F1 | FAQ key accuracy "
        "| out-of-scope caught | in-scope rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    for variety, s in report.items():
        lines.append(
            f"| {variety} | {s['examples']} | {pct(s['intent_accuracy'])} | {pct(s['macro_f1'])} | "
            f"{pct(s['faq_key_accuracy'])} | {pct(s['oos_detected'])} | "
            f"{pct(s['in_scope_rejected'])} |"
        )
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(PROJECT_ROOT / "models" / "seba.tar.gz"))
    parser.add_argument("--data", default=str(HELDOUT_DIR))
    parser.add_argument("--json", help="write the full report (with errors) here")
    parser.add_argument("--errors", action="store_true", help="print misclassified examples")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("rasa").setLevel(logging.WARNING)
    report = evaluate(args.model, Path(args.data))
    print(format_table(report))
    if args.errors:
        for variety, s in report.items():
            if variety == "all":
                continue
            for e in s["errors"]:
                print(f"[{variety}] {e['text']!r}: expected {e['gold']}, got {e['predicted']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
