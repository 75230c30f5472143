"""``python -m bench.soak`` (``make soak``): the long run before a release.

1. the real stack as ``scripts/run.sh`` starts it (``bench/soak/stack.py``), with the fake
   Telegram Bot API on a thread of this process;
2. 200 customers at once for 10 minutes, half on the web chat (socket.io), half on Telegram
   (``bench/soak/customers.py``); every message must be answered, with no error; memory
   (RSS) of each server at the start and at the end;
3. the stack stopped; then the fuzz tests with the Hypothesis ``soak`` profile (10,000
   inputs per channel at the connector level; ``bench/soak/fuzz.py``);
4. ``bench/soak/report.md`` and ``bench/soak/results.json``.

Options: ``--minutes``, ``--socketio``/``--telegram`` (customers per channel), ``--think``,
``--no-fuzz``, ``--fuzz-only``, ``--fuzz-hours`` (bound of the fuzz run), ``--report-only``.
The run directory ``bench/runs/soak-<time>/`` (git-ignored) keeps the servers' logs.
"""

import argparse
import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from typing import Any, Dict

from bench import scripts
from bench.paths import ROOT, RUNS
from bench.procs import REST_HEADERS, MemorySampler, post_json, stop_all
from bench.soak import fuzz, report, stack
from bench.soak.customers import Load, LoadSpec
from bench.soak.telegram_fake import NotifyingTelegram


def log(message: str) -> None:
    print(f"[soak {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, load average {load:.2f} at the start"


def git_rev() -> str:
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return rev + (" + uncommitted changes" if dirty else "")


def log_errors(path) -> Dict[str, int]:
    """The ERROR lines of a server's log, by message (numbers and ids left out)."""
    found: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if " ERROR " in line or "[ERROR]" in line:
            message = line.split("ERROR", 1)[1].strip(" ]-")
            found[re.sub(r"\d+", "N", message)[:120]] += 1
    return dict(found.most_common(8))


def warm_up(rasa_url: str, conversations) -> None:
    """One conversation of each kind over REST, so the servers have loaded what they use
    (the action server imports its actions on the first call) before memory is measured."""
    seen = set()
    for conv in conversations:
        if conv.kind in seen:
            continue
        seen.add(conv.kind)
        for text in conv.turns:
            post_json(
                f"{rasa_url}/webhooks/rest/webhook",
                {"sender": f"soak-warm-up-{conv.kind}", "message": text},
                timeout=120,
                headers=REST_HEADERS,
            )


def run_load(args: argparse.Namespace, run_dir) -> Dict[str, Any]:
    telegram = NotifyingTelegram().start_in_thread()
    running = stack.start(run_dir, telegram)
    try:
        conversations = scripts.conversations(running.orders)
        spec = LoadSpec(
            rasa_url=running.rasa_url,
            telegram_secret=stack.TELEGRAM_SECRET,
            conversations=conversations,
            socketio_customers=args.socketio,
            telegram_customers=args.telegram,
            duration=args.minutes * 60,
            think=(args.think[0], args.think[1]),
        )
        warm_up(running.rasa_url, conversations)
        start_kb = {name: proc.rss_kb() for name, proc in running.procs.items()}
        log(
            f"stack up at {running.rasa_url}; {args.socketio + args.telegram} customers for "
            f"{args.minutes:g} min"
        )
        with MemorySampler(running.procs, interval=2.0) as sampler:
            results = asyncio.run(Load(spec, telegram).run())
        end_kb = {name: proc.rss_kb() for name, proc in running.procs.items()}
        alive = {name: proc.alive() for name, proc in running.procs.items()}
    finally:
        running.stop()
        telegram.stop_thread()
    for name, up in alive.items():
        if not up:
            results.error("any", f"{name} died during the load", "")
    spec_data = asdict(spec)
    spec_data.pop("conversations")
    spec_data.pop("telegram_secret")
    return {
        "spec": spec_data,
        "scripts": sorted({c.script for c in conversations}),
        "turns": [list(t) for t in results.turns],
        "summary": report.summarise_load([list(t) for t in results.turns]),
        "errors": {f"{channel} {kind}": n for (channel, kind), n in results.errors.items()},
        "error_samples": results.error_samples,
        "conversations": {f"{c} {k}": n for (c, k), n in results.conversations.items()},
        "notes": dict(results.notes),
        "memory": {
            name: {
                "start_kb": start_kb[name],
                "end_kb": end_kb[name],
                "peak_kb": sampler.peak[name],
            }
            for name in start_kb
        },
        "telegram_messages_at_the_fake": telegram.sent_messages,
        "log_errors": {name: log_errors(proc.log_path) for name, proc in running.procs.items()},
    }


def parse(argv) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the load (10)")
    ap.add_argument("--socketio", type=int, default=100, help="web chat customers (100)")
    ap.add_argument("--telegram", type=int, default=100, help="Telegram customers (100)")
    ap.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(2.0, 6.0),
        help="seconds a customer takes to type the next message (2 6)",
    )
    ap.add_argument("--no-fuzz", action="store_true", help="only the load")
    ap.add_argument("--fuzz-only", action="store_true", help="only the fuzz tests")
    ap.add_argument("--fuzz-hours", type=float, default=3.0, help="bound of the fuzz run (3)")
    ap.add_argument("--report-only", action="store_true", help="rebuild report.md")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        log(f"wrote {report.write().relative_to(ROOT)}")
        return 0
    if not stack.MODEL.exists():
        log(f"no trained model at {stack.MODEL}: make train first")
        return 2
    run_id = f"soak-{dt.datetime.now():%Y%m%d-%H%M%S}"
    run_dir = RUNS / run_id
    run_dir.mkdir(parents=True)
    started = time.monotonic()
    model_time = dt.datetime.fromtimestamp(stack.model_copy(run_dir).stat().st_mtime)
    res: Dict[str, Any] = {
        "run_id": run_id,
        "started": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        "git": git_rev(),
        "machine": machine(),
        "model": f"trained {model_time:%Y-%m-%d %H:%M}",
    }
    try:
        if not args.fuzz_only:
            res["load"] = run_load(args, run_dir)
            log(f"load done: {res['load']['summary']['all']}, errors {res['load']['errors']}")
        if not args.no_fuzz:
            log("fuzz tests with the soak profile ...")
            res["fuzz"] = fuzz.run(run_dir, args.fuzz_hours * 3600)
            log(f"fuzz done: exit code {res['fuzz']['exit_code']}")
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    finally:
        stop_all()
    res["seconds"] = round(time.monotonic() - started)
    log(f"wrote {report.write(res).relative_to(ROOT)}")
    load_errors = sum(res.get("load", {}).get("errors", {}).values())
    fuzz_ok = res.get("fuzz", {}).get("exit_code", 0) == 0
    return 0 if load_errors == 0 and fuzz_ok else 1


if __name__ == "__main__":
    sys.exit(main())
