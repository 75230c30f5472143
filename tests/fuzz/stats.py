"""What the fuzz tests generated and how the servers answered, for the soak report.

Each example calls ``note("<outcome>")`` (e.g. ``"200 reply"``, ``"400"``); the counts are
kept per test. When ``SEBA_FUZZ_STATS`` names a file, the session's counts, each test's
result and, for a failure, Hypothesis' falsifying (shrunk) example are written to it as JSON
(``tests/fuzz/conftest.py``); ``bench/soak`` puts them in its report.
"""

import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, DefaultDict, Dict

STATS_ENV = "SEBA_FUZZ_STATS"

_counts: DefaultDict[str, Counter] = defaultdict(Counter)
_results: Dict[str, Dict[str, Any]] = {}


def _current_test() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown")
    return current.rsplit(" ", 1)[0]


def note(outcome: str) -> None:
    """Count one generated input of the running test, with what came of it."""
    counts = _counts[_current_test()]
    counts["inputs"] += 1
    counts[outcome] += 1


def counts(test_id: str) -> Counter:
    return _counts[test_id]


_STARTS = ("Falsifying example", "Falsifying explicit example", "Failing test case")


def falsifying_example(report_text: str, limit: int = 4000) -> str:
    """Hypothesis' falsifying (shrunk) example from a failed test's report."""
    lines = []
    for line in (report_text or "").splitlines():
        if line.startswith("E "):  # one failure: pytest's "E       ..." lines
            lines.append(line[8:].rstrip())
        elif line.lstrip().startswith("| "):  # several: an exception group's "    | ..."
            lines.append(line.split("| ", 1)[1].rstrip())
    blocks, current = [], None
    for line in lines:
        if line.lstrip().startswith(_STARTS):
            current = [line]
            blocks.append(current)
        elif current is not None:
            current.append(line)
            if line.strip() == ")" and not line.startswith(" "):
                current = None
    return "\n".join("\n".join(block) for block in blocks)[:limit]


def record_result(test_id: str, outcome: str, duration: float, report_text: str) -> None:
    entry = _results.setdefault(test_id, {"outcome": "passed", "seconds": 0.0})
    entry["seconds"] = round(entry["seconds"] + duration, 1)
    if outcome != "passed":
        entry["outcome"] = outcome
        entry["falsifying_example"] = falsifying_example(report_text)
        lines = [line for line in (report_text or "").splitlines()
                 if line.startswith("E ") or "Error:" in line]
        entry["error"] = "\n".join(lines[:12])[:2000]


def write(path: str, profile: str) -> None:
    data = {
        "profile": profile,
        "tests": {
            test_id: {**_results.get(test_id, {}), "counts": dict(_counts.get(test_id, {}))}
            for test_id in sorted(set(_results) | set(_counts))
        },
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
