"""Held-out NLU accuracy, asked of the running server (``POST /model/parse``).

Test data: ``tests/nlu/heldout/<variety>/*.yml`` (Rasa NLU YAML; entity annotations
are stripped to get the text the customer typed). Both systems answer the same
messages through the same HTTP API, so the figures include everything the deployed
pipeline does, FallbackClassifier included.

Per variety (bn, en, banglish) and overall:
- intent accuracy: predicted intent == gold intent. A retrieval intent ``faq/<key>``
  counts as intent ``faq`` here; ``nlu_fallback`` is a wrong answer for an in-scope
  message (the customer gets "sorry, I did not understand").
- macro-F1 over the gold intents of that variety (same labels; a prediction outside
  them, e.g. nlu_fallback, only costs recall).
- FAQ key accuracy: of the ``faq/<key>`` messages, share with predicted intent ``faq``
  AND the response selector's ``intent_response_key`` == ``faq/<key>``.
- out of scope: share of ``out_of_scope`` messages that end in ``out_of_scope`` or
  ``nlu_fallback`` (detected), and share of in-scope messages that wrongly do.
"""

import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bench.paths import HELDOUT
from bench.procs import post_json

OOS = {"out_of_scope", "nlu_fallback"}
_ENTITY_MD = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def strip_entities(text: str) -> str:
    return _ENTITY_MD.sub(r"\1", text).strip()


def load_heldout(root: Path = HELDOUT) -> Dict[str, List[Tuple[str, str]]]:
    """{variety: [(text, gold label incl. faq/<key>)]}"""
    out: Dict[str, List[Tuple[str, str]]] = {}
    if not root.is_dir():
        return out
    for vdir in sorted(p for p in root.iterdir() if p.is_dir()):
        items: List[Tuple[str, str]] = []
        for f in sorted(vdir.rglob("*.yml")):
            doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
            for block in doc.get("nlu", []) or []:
                intent = block.get("intent")
                if not intent:
                    continue
                examples = block.get("examples", "")
                if isinstance(examples, str):
                    lines = [
                        ln.strip()[2:]
                        for ln in examples.splitlines()
                        if ln.strip().startswith("- ")
                    ]
                else:
                    lines = [e.get("text", "") if isinstance(e, dict) else str(e) for e in examples]
                items += [(strip_entities(ln), intent) for ln in lines if ln.strip()]
        if items:
            out[vdir.name] = items
    return out


def _selector_key(parse: dict) -> str:
    rs = parse.get("response_selector") or {}
    for name in ("faq", "default"):
        sel = rs.get(name) or {}
        key = (sel.get("response") or {}).get("intent_response_key")
        if key:
            return key
    return ""


def evaluate_server(
    base_url: str, token: Optional[str], data: Dict[str, List[Tuple[str, str]]], timeout: float = 30
) -> Dict[str, object]:
    """Parse every held-out message; return per-example predictions + parse times.
    ``token``: stock Rasa's ``?token=``; None: ours, with a bearer token."""
    from bench.procs import api_headers

    url = f"{base_url}/model/parse" + (f"?token={token}" if token else "")
    headers = None if token else api_headers()
    preds: Dict[str, List[dict]] = {}
    times: List[float] = []
    for variety, items in data.items():
        rows = []
        for text, gold in items:
            t = time.perf_counter()
            parse = post_json(url, {"text": text}, timeout=timeout, headers=headers)
            times.append(time.perf_counter() - t)
            intent = (parse.get("intent") or {}).get("name") or ""
            rows.append(
                {
                    "text": text,
                    "gold": gold,
                    "intent": intent,
                    "key": _selector_key(parse),
                    "confidence": (parse.get("intent") or {}).get("confidence"),
                }
            )
        preds[variety] = rows
    return {"predictions": preds, "parse_seconds": times}


def _base(label: str) -> str:
    return label.split("/", 1)[0]


def macro_f1(gold: List[str], pred: List[str]) -> float:
    labels = sorted(set(gold))
    tp, fp, fn = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred, strict=True):
        if g == p:
            tp[g] += 1
        else:
            fn[g] += 1
            fp[p] += 1
    f1s = []
    for lab in labels:
        prec = tp[lab] / (tp[lab] + fp[lab]) if tp[lab] + fp[lab] else 0.0
        rec = tp[lab] / (tp[lab] + fn[lab]) if tp[lab] + fn[lab] else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def score(rows: List[dict]) -> Dict[str, object]:
    gold = [_base(r["gold"]) for r in rows]
    pred = [r["intent"] for r in rows]
    n = len(rows)
    faq = [r for r in rows if r["gold"].startswith("faq/")]
    oos = [r for r in rows if r["gold"] == "out_of_scope"]
    ins = [r for r in rows if r["gold"] != "out_of_scope"]
    return {
        "n": n,
        "intent_accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / n if n else None,
        "macro_f1": macro_f1(gold, pred) if n else None,
        "faq_n": len(faq),
        "faq_key_accuracy": (
            sum(r["intent"] == "faq" and r["key"] == r["gold"] for r in faq) / len(faq)
        )
        if faq
        else None,
        "oos_n": len(oos),
        "oos_detected": (sum(r["intent"] in OOS for r in oos) / len(oos)) if oos else None,
        "inscope_n": len(ins),
        "inscope_false_oos": (sum(r["intent"] in OOS for r in ins) / len(ins)) if ins else None,
        "fallback_rate": sum(r["intent"] == "nlu_fallback" for r in rows) / n if n else None,
    }


def summarise(evaluation: Dict[str, object]) -> Dict[str, object]:
    preds: Dict[str, List[dict]] = evaluation["predictions"]  # type: ignore[assignment]
    out: Dict[str, object] = {v: score(rows) for v, rows in preds.items()}
    out["all"] = score([r for rows in preds.values() for r in rows])
    confusions: Dict[str, Counter] = defaultdict(Counter)
    for rows in preds.values():
        for r in rows:
            if _base(r["gold"]) != r["intent"]:
                confusions[r["gold"]][r["intent"]] += 1
    out["top_confusions"] = sorted(
        ((g, p, c) for g, ctr in confusions.items() for p, c in ctr.items()), key=lambda x: -x[2]
    )[:12]
    times = sorted(evaluation["parse_seconds"])  # type: ignore[arg-type]
    if times:
        out["parse_ms_p50"] = round(1000 * times[len(times) // 2], 1)
        out["parse_ms_p95"] = round(1000 * times[int(len(times) * 0.95)], 1)
    return out
