"""``bench/soak/report.md`` from the soak's figures (``bench/soak/results.json``)."""

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench.paths import BENCH

SOAK = BENCH / "soak"
REPORT = SOAK / "report.md"
RESULTS = SOAK / "results.json"
CHANNELS = ("socketio", "telegram")
CHANNEL_NAMES = {"socketio": "socket.io", "telegram": "Telegram", "all": "all"}


def percentile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarise_load(turns: List[List[Any]]) -> Dict[str, Dict[str, Any]]:
    """Per channel and for all: messages sent and answered, latencies of the first reply."""
    out = {}
    for channel in CHANNELS + ("all",):
        mine = [t for t in turns if channel == "all" or t[0] == channel]
        latencies = [t[2] for t in mine if t[2] is not None]
        out[channel] = {
            "sent": len(mine),
            "answered": len(latencies),
            "p50_s": percentile(latencies, 50),
            "p95_s": percentile(latencies, 95),
            "max_s": max(latencies) if latencies else None,
        }
    return out


def _s(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}"


def _mb(kb: Optional[int]) -> str:
    return "–" if not kb else f"{kb / 1024:.0f} MB"


def load_section(res: Dict[str, Any]) -> List[str]:
    load = res.get("load")
    if not load:
        return ["## Load", "", "Not run.", ""]
    spec, summary = load["spec"], load["summary"]
    convs = load["conversations"]
    lines = [
        f"## Load: {spec['socketio_customers'] + spec['telegram_customers']} customers for "
        f"{spec['duration'] / 60:.0f} minutes",
        "",
        f"{spec['socketio_customers']} customers on the web chat (socket.io) and "
        f"{spec['telegram_customers']} on Telegram (webhook with the real secret; replies "
        f"observed at the fake Bot API) at the same time, each holding one conversation at a "
        f"time and typing {spec['think'][0]:.0f}–{spec['think'][1]:.0f} s after the bot's first "
        f"reply; started over {spec['ramp']:.0f} s. Scripts: `bench/scripts.py` "
        f"({len(load['scripts'])} scripts, real order/phone pairs from the run's shop database).",
        "",
        "| | " + " | ".join(CHANNEL_NAMES[c] for c in CHANNELS + ("all",)) + " |",
        "|---|" + "---|" * (len(CHANNELS) + 1),
    ]

    def row(label: str, cells: List[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def conv(channel: str, kind: str) -> int:
        if channel == "all":
            return sum(convs.get(f"{c} {kind}", 0) for c in CHANNELS)
        return convs.get(f"{channel} {kind}", 0)

    every = CHANNELS + ("all",)
    row("conversations started", [str(conv(c, "started")) for c in every])
    row("… completed", [str(conv(c, "completed")) for c in every])
    row("… cut by the end of the run", [str(conv(c, "cut at the end")) for c in every])
    row("messages sent", [str(summary[c]["sent"]) for c in every])
    row("messages answered", [str(summary[c]["answered"]) for c in every])
    errors = load["errors"]
    row(
        "errors",
        [
            str(sum(v for k, v in errors.items() if c == "all" or k.startswith(c + " ")))
            for c in every
        ],
    )
    row(
        "first reply p50 / p95 / max, s",
        [
            f"{_s(summary[c]['p50_s'])} / {_s(summary[c]['p95_s'])} / {_s(summary[c]['max_s'])}"
            for c in every
        ],
    )
    lines.append("")
    if errors:
        lines += ["Errors by kind:", "", "| channel and kind | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(errors.items())]
        lines += ["", "Samples:", ""] + [f"- `{s}`" for s in load["error_samples"][:10]]
    else:
        lines.append(
            "**No errors**: every message got a reply, none was the apology for a "
            "technical problem, and every conversation's tracker shows each message "
            "answered."
        )
    for note, count in sorted(load.get("notes", {}).items()):
        lines.append(f"\nNote: {note}: {count}×.")
    logged = load.get("log_errors", {})
    if logged:
        lines += [
            "",
            "ERROR lines in the servers' logs during the load (by message; not counted "
            "as errors above unless a customer saw the effect):",
            "",
        ]
        for name, found in logged.items():
            if not found:
                lines.append(f"- {name}: none")
            for message, count in found.items():
                lines.append(f"- {name}: {count}× `{message}`")
    lines += [
        "",
        "### Memory (RSS of each process and its children)",
        "",
        "| process | at the start (after warm-up) | at the end | peak |",
        "|---|---|---|---|",
    ]
    for name, mem in load["memory"].items():
        lines.append(
            f"| {name} | {_mb(mem['start_kb'])} | {_mb(mem['end_kb'])} | {_mb(mem['peak_kb'])} |"
        )
    lines.append("")
    return lines


def _level(test_id: str) -> str:
    return "stack" if "on_the_real_stack" in test_id else "connector"


def _channel(test_id: str) -> str:
    return test_id.split("test_fuzz_", 1)[-1].split(".py", 1)[0]


def fuzz_section(res: Dict[str, Any]) -> List[str]:
    fuzz = res.get("fuzz")
    if not fuzz:
        return ["## Fuzzing", "", "Not run.", ""]
    tests = fuzz.get("tests", {})
    lines = [
        "## Fuzzing: the Hypothesis `soak` profile",
        "",
        f"`SEBA_FUZZ_PROFILE=soak pytest tests/fuzz`: exit code {fuzz.get('exit_code')}, "
        f"{fuzz.get('seconds', 0) / 60:.0f} minutes (log: `{fuzz.get('log')}`, git-ignored). "
        "Connector level: the connector on a real Sanic server with a stub Rasa (the console: "
        "the app with a stub of Rasa's API); stack level: the real Rasa, action server and "
        "console. In this profile a failed property does not stop a test: every input runs, "
        "and a failed test lists each kind of failure (exception and the line of the test), "
        "how often, and the smallest input that caused it (`SEBA_FUZZ_PROFILE=dig` shrinks "
        "one further).",
        "",
        "| channel | connector-level inputs | stack-level inputs |",
        "|---|---|---|",
    ]
    channels = sorted({_channel(t) for t in tests})
    for channel in channels:
        counts = {
            level: sum(
                v.get("counts", {}).get("inputs", 0)
                for t, v in tests.items()
                if _channel(t) == channel and _level(t) == level
            )
            for level in ("connector", "stack")
        }
        lines.append(f"| {channel} | {counts['connector']} | {counts['stack']} |")
    lines += [
        "",
        "| test | level | inputs | result | minutes | outcomes |",
        "|---|---|---|---|---|---|",
    ]
    for test_id, entry in sorted(tests.items()):
        counts = dict(entry.get("counts", {}))
        inputs = counts.pop("inputs", 0)
        top = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
        name = test_id.split("::")[-1]
        lines.append(
            f"| `{_channel(test_id)}::{name}` | {_level(test_id)} | {inputs} | "
            f"{entry.get('outcome', '?')} | {entry.get('seconds', 0) / 60:.1f} | {top} |"
        )
    failed = [(t, e) for t, e in sorted(tests.items()) if e.get("outcome") not in (None, "passed")]
    lines.append("")
    if failed:
        lines += ["### Failures", ""]
        for test_id, entry in failed:
            lines += [f"**`{test_id}`**", ""]
            kinds = sorted((entry.get("violations") or {}).items(), key=lambda kv: -kv[1]["count"])
            for kind, seen in kinds:
                lines += [
                    f"- {kind}, {seen['count']}×: `{seen['message'][:300]}`",
                    "",
                    "  smallest input:",
                    "",
                    "  ```",
                    "  " + seen["example"][:1500].replace("\n", "\n  "),
                    "  ```",
                    "",
                ]
            if not kinds:
                lines += [
                    "```",
                    (entry.get("falsifying_example") or "")[:2500],
                    "",
                    (entry.get("error") or "")[:1200],
                    "```",
                    "",
                ]
    else:
        lines += ["Every fuzz test passed.", ""]
    return lines


def write(res: Optional[Dict[str, Any]] = None) -> Path:
    if res is None:
        res = json.loads(RESULTS.read_text(encoding="utf-8"))
    else:
        RESULTS.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    head = [
        "# Soak report",
        "",
        f"Generated by `make soak` (`python -m bench.soak`), run `{res['run_id']}` "
        f"({res['started']}, {res['seconds'] / 60:.0f} minutes in all), git `{res['git']}`. "
        f"Machine: {res['machine']}. The stack: `python -m seba.action_server` and "
        "`python -m seba.server run --enable-api` with the project's `credentials.yml` and "
        "`endpoints.yml` (SQLite under the run directory `bench/runs/<run>/`, git-ignored, "
        f"with every server's log), model `models/seba.tar.gz` ({res.get('model', '?')}). "
        "Everything on 127.0.0.1. How to run and read it: [docs/testing.md]"
        "(../../docs/testing.md).",
        "",
    ]
    text = "\n".join(head + load_section(res) + fuzz_section(res)) + "\n"
    REPORT.write_text(text, encoding="utf-8")
    return REPORT
