"""Score a trained model on NLU evaluation sets, per language variety.

Sets: ``tests/nlu/heldout/<variety>/*.yml`` (the held-out split, written apart from the
training data), ``tests/nlu/wide/<variety>/*.yml`` (a wider set written by an
independent evaluator: customers' own wording, typos, other shops' habits, and everyday
or other businesses' questions a shop does not answer) and ``tests/nlu/lookalike/`` (out of
scope only, sharing words with the shop's questions). None is ever trained on.
A set's ``multi/`` folder (messages with two requests) is not scored as single intents.

Per variety: in-scope accuracy (the right intent and, for FAQs, the right ``faq/<key>``),
intent accuracy and macro-F1 over all messages, FAQ key accuracy, out of scope caught
(``out_of_scope`` messages ending in out_of_scope/nlu_fallback), false rejection (in-scope
messages that do), recall per intent, the worst confusions and the NLU's milliseconds per
message (p50/p95, parsed in this process). ``--cross-validation`` adds Rasa's
``rasa test nlu --cross-validation`` on data/ with config.yml, folds seeded.

    python -m seba.evaluation [--model models/seba.tar.gz] [--set heldout|wide|lookalike|<dir>]...
        [--json out.json] [--errors] [--markdown [README.md]] [--cross-validation [--folds 5]]
"""

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from seba import PROJECT_ROOT

NLU_TESTS = PROJECT_ROOT / "tests" / "nlu"
HELDOUT_DIR = NLU_TESTS / "heldout"
WIDE_DIR = NLU_TESTS / "wide"
LOOKALIKE_DIR = NLU_TESTS / "lookalike"
SETS = {"heldout": HELDOUT_DIR, "wide": WIDE_DIR, "lookalike": LOOKALIKE_DIR}
VARIETIES = {"bn": "Bangla", "en": "English", "banglish": "Banglish", "all": "all"}
NOT_SCORED = {"multi"}  # two-request messages: no single right intent
REJECTED = {"out_of_scope", "nlu_fallback"}
# Issue 12's goals: in-scope understood, per variety; out of scope caught; false rejection.
GOALS = {"in_scope": {"en": 0.90, "bn": 0.95, "banglish": 0.95}, "oos": 0.85, "rejected": 0.03}
README = PROJECT_ROOT / "README.md"
MARK_START, MARK_END = "<!-- nlu:start -->", "<!-- nlu:end -->"
CV_SEED = 2026


def set_dir(name: str) -> Path:
    """``heldout``, ``wide`` or a directory holding ``<variety>/*.yml``."""
    return SETS.get(name) or Path(name)


def load_set(root: Path) -> Dict[str, List[Dict[str, str]]]:
    """{variety: [{"text", "intent", "key"}]} from a set's YAML files (``multi/`` left out)."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: Dict[str, List[Dict[str, str]]] = {}
    for variety_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if variety_dir.name in NOT_SCORED:
            continue
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


def load_heldout(root: Path = HELDOUT_DIR) -> Dict[str, List[Dict[str, str]]]:
    return load_set(root)


# --- scoring ---------------------------------------------------------------------------------


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


def _share(hits: int, total: int) -> Optional[float]:
    return hits / total if total else None


def percentile(values: List[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (q in 0..100) of the values, None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def score(rows: List[Dict[str, Any]], worst: int = 10) -> Dict[str, Any]:
    """Metrics for rows that carry gold "intent"/"key" and predicted "pred"/"pred_key"
    (and, when timed, "ms")."""
    gold = [r["intent"] for r in rows]
    pred = [r["pred"] for r in rows]
    faq = [r for r in rows if r["intent"] == "faq"]
    oos = [r for r in rows if r["intent"] == "out_of_scope"]
    in_scope = [r for r in rows if r["intent"] != "out_of_scope"]
    per_key: Dict[str, List[int]] = {}
    for r in rows:
        hits = per_key.setdefault(r["key"], [0, 0])
        hits[0] += r["pred_key"] == r["key"]
        hits[1] += 1
    confusions = Counter((r["key"], r["pred_key"]) for r in rows if r["pred_key"] != r["key"])
    times = [r["ms"] for r in rows if r.get("ms") is not None]
    return {
        "examples": len(rows),
        "in_scope_examples": len(in_scope),
        "oos_examples": len(oos),
        "intent_accuracy": _share(sum(g == p for g, p in zip(gold, pred, strict=True)), len(rows))
        or 0.0,
        "in_scope_accuracy": _share(
            sum(r["pred_key"] == r["key"] for r in in_scope), len(in_scope)
        ),
        "macro_f1": _macro_f1(gold, pred),
        "faq_key_accuracy": _share(sum(r["pred_key"] == r["key"] for r in faq), len(faq)),
        "oos_detected": _share(sum(r["pred"] in REJECTED for r in oos), len(oos)),
        "in_scope_rejected": _share(sum(r["pred"] in REJECTED for r in in_scope), len(in_scope)),
        "recall": {k: {"examples": n, "recall": h / n} for k, (h, n) in sorted(per_key.items())},
        "confusions": [
            {"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(worst)
        ],
        "nlu_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95)} if times else None,
        "errors": [
            {"text": r["text"], "gold": r["key"], "predicted": r["pred_key"]}
            for r in rows
            if r["pred_key"] != r["key"]
        ],
    }


def score_set(examples: Dict[str, List[Dict[str, Any]]]) -> Dict[str, Any]:
    report = {variety: score(rows) for variety, rows in examples.items()}
    report["all"] = score([r for rows in examples.values() for r in rows])
    return report


# --- predicting ------------------------------------------------------------------------------


def _parsed_key(parsed: Dict[str, Any]) -> tuple:
    intent = (parsed.get("intent") or {}).get("name")
    key = intent
    if intent == "faq":
        selector = (parsed.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key") or "faq"
    return intent, key


async def predict_with_agent(agent: Any, examples: Dict[str, List[Dict[str, Any]]]) -> None:
    """Add "pred", "pred_key" and "ms" (the NLU's time for it) to every example."""
    warm = next((r["text"] for rows in examples.values() for r in rows), None)
    if warm:  # the first parse loads lazily built parts: not a customer's wait
        await agent.parse_message(warm)
    for rows in examples.values():
        for row in rows:
            started = time.perf_counter()
            parsed = await agent.parse_message(row["text"])
            row["ms"] = 1000 * (time.perf_counter() - started)
            row["pred"], row["pred_key"] = _parsed_key(parsed)


async def predict(model_path: str, examples: Dict[str, List[Dict[str, Any]]]) -> None:
    from rasa.core.agent import Agent

    await predict_with_agent(Agent.load(model_path), examples)


def evaluate(model_path: str, root: Path = HELDOUT_DIR) -> Dict[str, Any]:
    examples = load_set(root)
    asyncio.run(predict(model_path, examples))
    return score_set(examples)


def evaluate_sets(model_path: str, roots: Dict[str, Path]) -> Dict[str, Dict[str, Any]]:
    """{set name: report}, the model loaded once."""
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    reports = {}
    for name, root in roots.items():
        examples = load_set(root)
        asyncio.run(predict_with_agent(agent, examples))
        reports[name] = score_set(examples)
    return reports


# --- cross-validation ------------------------------------------------------------------------

# `rasa test nlu --cross-validation` with NumPy's global generator seeded: Rasa's folds are
# sklearn's StratifiedKFold(shuffle=True) without a random_state, i.e. NumPy's global one.
_CV_SCRIPT = (
    "import sys, random, numpy\n"
    "random.seed(int(sys.argv[1]))\n"
    "numpy.random.seed(int(sys.argv[1]))\n"
    "from rasa.__main__ import main\n"
    "sys.argv = ['rasa'] + sys.argv[2:]\n"
    "main()\n"
)


def summarise_cv(intent_report: Dict[str, Any], responses: Optional[Dict[str, Any]], folds: int):
    """Rasa's accumulated test-fold reports (intent_report.json, response_selection_report.json)
    as a few figures."""
    averages = {"accuracy", "macro avg", "weighted avg", "micro avg"}
    labels = {k: v for k, v in intent_report.items() if k not in averages and isinstance(v, dict)}
    summary = {
        "folds": folds,
        "examples": sum(int(v.get("support") or 0) for v in labels.values()),
        "intent_accuracy": intent_report.get("accuracy"),
        "macro_f1": (intent_report.get("macro avg") or {}).get("f1-score"),
        "weighted_f1": (intent_report.get("weighted avg") or {}).get("f1-score"),
        "faq_key_accuracy": (responses or {}).get("accuracy"),
        "worst_intents": sorted(
            (
                {"intent": k, "f1": v.get("f1-score"), "support": v.get("support")}
                for k, v in labels.items()
            ),
            key=lambda x: (x["f1"] if x["f1"] is not None else 0.0),
        )[:5],
    }
    return summary


def cross_validate(folds: int = 5, out_dir: Optional[Path] = None) -> Dict[str, Any]:
    """Run `rasa test nlu --cross-validation` on data/nlu with config.yml; summarise it."""
    with tempfile.TemporaryDirectory(prefix="seba-cv-") as tmp:
        out = Path(out_dir or tmp)
        cmd = [sys.executable, "-c", _CV_SCRIPT, str(CV_SEED), "test", "nlu", "--cross-validation"]
        cmd += ["--folds", str(folds), "--nlu", "data/nlu", "--config", "config.yml"]
        cmd += ["--out", str(out), "--no-plot", "--quiet"]
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
        subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, check=True)
        intents = json.loads((out / "intent_report.json").read_text("utf-8"))
        rs_path = out / "response_selection_report.json"
        responses = json.loads(rs_path.read_text("utf-8")) if rs_path.exists() else None
    return summarise_cv(intents, responses, folds)


# --- reporting -------------------------------------------------------------------------------


def _pct(v: Optional[float]) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _ms(s: Dict[str, Any]) -> str:
    t = s.get("nlu_ms")
    return "–" if not t else f"{t['p50']:.0f} / {t['p95']:.0f}"


def _mark(value: Optional[float], goal: Optional[float], higher: bool = True) -> str:
    if value is None or goal is None:
        return _pct(value)
    met = value >= goal if higher else value <= goal
    return _pct(value) + ("" if met else " ✗")


def format_table(report: Dict[str, Any]) -> str:
    """One row per variety: the set's headline figures (✗: below issue 12's goal)."""
    lines = [
        "| variety | messages | in-scope understood | intent macro-F1 | FAQ key "
        "| out of scope caught | in-scope rejected | NLU ms p50 / p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variety, s in report.items():
        lines.append(
            f"| {VARIETIES.get(variety, variety)} | {s['examples']} "
            f"({s['oos_examples']} out of scope) "
            f"| {_mark(s['in_scope_accuracy'], GOALS['in_scope'].get(variety))} "
            f"| {_pct(s['macro_f1'])} | {_pct(s['faq_key_accuracy'])} "
            f"| {_mark(s['oos_detected'], GOALS['oos'])} "
            f"| {_mark(s['in_scope_rejected'], GOALS['rejected'], higher=False)} | {_ms(s)} |"
        )
    return "\n".join(lines)


def format_recall(report: Dict[str, Any]) -> str:
    """Recall per intent / FAQ key (rows) and variety (columns), with message counts."""
    varieties = list(report)
    keys = sorted({k for s in report.values() for k in s["recall"]})
    lines = [
        "| intent | " + " | ".join(VARIETIES.get(v, v) for v in varieties) + " |",
        "|---|" + "---|" * len(varieties),
    ]
    for key in keys:
        cells = []
        for v in varieties:
            r = report[v]["recall"].get(key)
            cells.append("–" if not r else f"{_pct(r['recall'])} ({r['examples']})")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_confusions(report: Dict[str, Any], n: int = 10) -> str:
    rows = report["all"]["confusions"][:n]
    if not rows:
        return "No confusions."
    return "\n".join(
        ["| meant | understood as | messages |", "|---|---|---|"]
        + [f"| {c['gold']} | {c['predicted']} | {c['count']} |" for c in rows]
    )


def format_cv(cv: Dict[str, Any]) -> str:
    worst = ", ".join(f"{w['intent']} {_pct(w['f1'])}" for w in cv.get("worst_intents") or [])
    return (
        f"Cross-validation on the training data (`rasa test nlu --cross-validation`, "
        f"{cv['folds']} folds, seeded, config.yml, {cv['examples']} examples): intent accuracy "
        f"{_pct(cv['intent_accuracy'])}, macro-F1 {_pct(cv['macro_f1'])}, weighted F1 "
        f"{_pct(cv['weighted_f1'])}, FAQ key accuracy {_pct(cv['faq_key_accuracy'])}; "
        f"lowest F1: {worst or '–'}."
    )


def model_info(model_path: str) -> Dict[str, str]:
    """Which model: its training time and the commit its training inputs are from."""
    import tarfile

    info = {"model": os.path.relpath(model_path, PROJECT_ROOT)}
    try:
        with tarfile.open(model_path) as tar:
            member = next(m for m in tar.getmembers() if m.name.lstrip("/") == "metadata.json")
            meta = json.load(tar.extractfile(member))  # type: ignore[arg-type]
        info["trained_at"] = str(meta.get("trained_at", "?"))[:19]
    except (OSError, StopIteration, tarfile.TarError, ValueError):
        info["trained_at"] = "?"
    inputs = ["config.yml", "domain.yml", "data", "seba/nlu", "seba/policies.py"]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    info["commit"] = git("log", "-1", "--format=%h", "--", *inputs) or "?"
    info["head"] = git("rev-parse", "--short", "HEAD") or "?"
    info["inputs_changed"] = "yes" if git("status", "--porcelain", "--", *inputs) else "no"
    info["machine"] = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    return info


def format_markdown(
    reports: Dict[str, Dict[str, Any]], cv: Optional[Dict[str, Any]], info: Dict[str, str]
) -> str:
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    dirty = " (with uncommitted changes to them)" if info.get("inputs_changed") == "yes" else ""
    parts = [
        f"Scored {today} with `make evaluate` (`python -m seba.evaluation`) on `{info['model']}`, "
        f"trained {info.get('trained_at', '?')} from the training inputs of commit "
        f"`{info.get('commit', '?')}`{dirty}; FallbackClassifier included. In-scope understood = "
        "right intent and, for FAQs, the right answer; ✗ = below issue 12's goal "
        "(in scope ≥ 90% English, ≥ 95% Bangla and Banglish; out of scope caught ≥ 85%; "
        "≤ 3% of in-scope messages rejected). NLU ms: one message parsed in-process"
        + (f" ({info['machine']} at the end of the run)." if info.get("machine") else ".")
    ]
    titles = {
        "heldout": "Held-out split (`tests/nlu/heldout/`, written apart from the training data)",
        "wide": "Wide set (`tests/nlu/wide/`, an independent evaluator's: customers' own "
        "wording, typos, long order ids, everyday and other businesses' questions)",
        "lookalike": "Out of scope in the shop's words (`tests/nlu/lookalike/`, another writer's: "
        "train times, gold and dollar prices, food orders, other services' customer care, "
        "accounts; out of scope only)",
    }
    for name, report in reports.items():
        parts += [f"**{titles.get(name, name)}**", format_table(report)]
    if "wide" in reports:
        parts += [
            "Wide set, recall per intent (messages):",
            format_recall(reports["wide"]),
            "Wide set, the worst confusions:",
            format_confusions(reports["wide"]),
        ]
    if cv:
        parts.append(format_cv(cv))
    return "\n\n".join(parts)


def update_readme(block: str, readme: Path = README) -> bool:
    """Replace what is between the README's nlu markers; False when they are missing."""
    text = readme.read_text("utf-8") if readme.exists() else ""
    if MARK_START not in text or MARK_END not in text:
        return False
    head, rest = text.split(MARK_START, 1)
    _, tail = rest.split(MARK_END, 1)
    readme.write_text(f"{head}{MARK_START}\n{block}\n{MARK_END}{tail}", "utf-8")
    return True


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(PROJECT_ROOT / "models" / "seba.tar.gz"))
    parser.add_argument(
        "--set", action="append", dest="sets", help="heldout, wide, lookalike or a dir"
    )
    parser.add_argument("--data", help=argparse.SUPPRESS)  # the old name of --set <dir>
    parser.add_argument("--json", help="write the full report (with errors) here")
    parser.add_argument("--errors", action="store_true", help="print misclassified examples")
    parser.add_argument("--markdown", nargs="?", const=str(README), help="update README's block")
    parser.add_argument("--cross-validation", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse prints a debug line
    logging.getLogger("rasa").setLevel(logging.WARNING)
    names = args.sets or ([args.data] if args.data else ["heldout"])
    reports = evaluate_sets(args.model, {n: set_dir(n) for n in names})
    for name, report in reports.items():
        print(f"\n{name}\n" + format_table(report))
        if args.errors:
            for variety, s in report.items():
                if variety != "all":
                    for e in s["errors"]:
                        print(
                            f"[{variety}] {e['text']!r}: expected {e['gold']}, got {e['predicted']}"
                        )
    if "wide" in reports:
        print("\n" + format_recall(reports["wide"]) + "\n\n" + format_confusions(reports["wide"]))
    cv = cross_validate(args.folds) if args.cross_validation else None
    if cv:
        print("\n" + format_cv(cv))
    if args.json:
        result = {"sets": reports, "cross_validation": cv, "model": model_info(args.model)}
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    if args.markdown:
        block = format_markdown(reports, cv, model_info(args.model))
        if not update_readme(block, Path(args.markdown)):
            sys.exit(f"{args.markdown}: no {MARK_START} … {MARK_END} block to replace")


if __name__ == "__main__":
    main()
