"""What the fuzz tests generated and how the servers answered, for the soak report.

Every fuzz test's body is wrapped in ``@checked``: it counts the inputs, and in the ``soak``
profile it does not stop at a failed property — it records the failure (``violations``: per
kind, i.e. exception type and the line of the test that raised it, how often, and the
smallest input that caused it) and goes on, so the whole budget of inputs runs; the test
fails at the end with the list (``tests/fuzz/conftest.py``). In the other profiles a failure
is Hypothesis' as usual: it stops, shrinks the input and reports it.

Each example also calls ``note("<outcome>")`` (e.g. ``"200 reply"``, ``"400"``). When
``SEBA_FUZZ_STATS`` names a file, the counts, each test's result, the violations and, for a
failure, Hypothesis' falsifying (shrunk) example are written to it as JSON; ``bench/soak``
puts them in its report.
"""

import functools
import json
import os
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, DefaultDict, Dict

STATS_ENV = "SEBA_FUZZ_STATS"

_counts: DefaultDict[str, Counter] = defaultdict(Counter)
_results: Dict[str, Dict[str, Any]] = {}


def _current_test() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown")
    return current.rsplit(" ", 1)[0]


def note(outcome: str) -> None:
    """Count what came of the running test's current input."""
    _counts[_current_test()][outcome] += 1


def counts(test_id: str) -> Counter:
    return _counts[test_id]


_violations: DefaultDict[str, Dict[str, Dict[str, Any]]] = defaultdict(dict)
KEEP_REPR = 3000
FUZZ_DIR = Path(__file__).resolve().parent


def _kind(error: BaseException) -> str:
    """Exception type and the innermost line of the fuzz tests that raised it."""
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.parent == FUZZ_DIR and path.name != "stats.py":
            where = f"{path.name}:{frame.lineno}"
    return f"{type(error).__name__} at {where}"


def _example(kwargs: Dict[str, Any]) -> str:
    """The generated arguments (fixtures, whose repr is ``<... object at ...>``, left out)."""
    shown = []
    for name, value in kwargs.items():
        text = repr(value)
        if not text.startswith("<"):
            shown.append(f"{name}={text}")
    return ", ".join(shown)


def record_violation(test_id: str, error: BaseException, kwargs: Dict[str, Any]) -> None:
    example = _example(kwargs)
    entry = _violations[test_id].setdefault(_kind(error), {"count": 0})
    entry["count"] += 1
    if "example" not in entry or len(example) < entry["example_length"]:
        entry.update(
            example=example[:KEEP_REPR],
            example_length=len(example),
            message=str(error).split("\n")[0][:500],
        )


def violations(test_id: str) -> Dict[str, Dict[str, Any]]:
    return _violations.get(test_id, {})


def violation_summary(test_id: str) -> str:
    lines = [
        f"{len(violations(test_id))} kind(s) of property failure while going on "
        "through the soak profile's inputs:"
    ]
    for kind, entry in sorted(violations(test_id).items(), key=lambda kv: -kv[1]["count"]):
        lines += [
            f"- {kind}: {entry['count']}x: {entry['message']}",
            f"  smallest input: {entry['example'][:600]}",
        ]
    return "\n".join(lines)


def checked(test: Callable) -> Callable:
    """Count each input; in the soak profile record a failed property and go on."""
    from tests.fuzz.profiles import keeps_going

    @functools.wraps(test)
    def body(*args: Any, **kwargs: Any) -> Any:
        _counts[_current_test()]["inputs"] += 1
        if not keeps_going():
            return test(*args, **kwargs)
        try:
            return test(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - recorded, the run goes on
            note("property failed")
            record_violation(_current_test(), error, kwargs)
            return None

    return body


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
        lines = [
            line
            for line in (report_text or "").splitlines()
            if line.startswith("E ") or "Error:" in line
        ]
        entry["error"] = "\n".join(lines[:12])[:2000]


def write(path: str, profile: str) -> None:
    data = {
        "profile": profile,
        "tests": {
            test_id: {
                **_results.get(test_id, {}),
                "counts": dict(_counts.get(test_id, {})),
                "violations": violations(test_id),
            }
            for test_id in sorted(set(_results) | set(_counts))
        },
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
