"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) into a readable table.

    python -m bench.profile bench/runs/<run>/profile-ours-rest-10.txt [--top 30] [--grep rasa]

Prints the share of samples per function: *self* (the frame on top of the stack) and
*total* (anywhere on the stack), plus the share per coarse bucket (NLU inference,
policies, tracker store, NLG, HTTP/socket.io, action server calls, idle).
"""

import argparse
import re
import sys
from collections import Counter
from typing import List, Tuple

# (bucket, regex on a frame "function (file:line)") - first match from the top of stack wins
BUCKETS: List[Tuple[str, str]] = [
    ("tracker store (SQL)", r"tracker_store\.py|sqlalchemy|sqlite3|psycopg2"),
    ("lock store", r"lock_store\.py|redis"),
    ("action server call (HTTP client)", r"core/actions/action\.py.*RemoteAction|aiohttp/client"),
    ("NLG (SebaNLG, templates)", r"seba/nlg\.py|seba/language\.py|core/nlg/"),
    (
        "NLU: DIET / ResponseSelector (TensorFlow)",
        r"tensorflow|nlu/classifiers|nlu/selectors|utils/tensorflow",
    ),
    ("NLU: featurizers / tokenizers", r"nlu/featurizers|nlu/tokenizers|sklearn|scipy"),
    ("policies (rules, memoization, TED)", r"core/policies|core/featurizers"),
    (
        "tracker replay / events",
        r"shared/core/trackers\.py|shared/core/events\.py|shared/core/domain\.py",
    ),
    ("HTTP server / socket.io", r"sanic|socketio|engineio|websockets|httptools"),
    ("JSON / YAML", r"json|ruamel|yaml"),
]


def parse(path: str) -> Tuple[Counter, Counter, int, Counter]:
    selfc: Counter = Counter()
    totalc: Counter = Counter()
    buckets: Counter = Counter()
    n = 0
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            c = int(count)
        except ValueError:
            continue
        frames = stack.split(";")
        n += c
        if frames:
            selfc[frames[-1]] += c
        for f in set(frames):
            totalc[f] += c
        label = "other"
        for f in reversed(frames):
            for name, rx in BUCKETS:
                if re.search(rx, f):
                    label = name
                    break
            if label != "other":
                break
        if label == "other" and re.search(r"select|epoll|_run_once|sleep|wait", frames[-1]):
            label = "idle (event loop waiting)"
        buckets[label] += c
    return selfc, totalc, n, buckets


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile")
    ap.add_argument("path")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--grep", default="", help="only functions matching this regex")
    a = ap.parse_args(argv)
    selfc, totalc, n, buckets = parse(a.path)
    if not n:
        print("no samples")
        return 1
    print(f"{n} samples\n\nby bucket (innermost matching frame):")
    for k, v in buckets.most_common():
        print(f"  {100 * v / n:5.1f}%  {k}")
    rx = re.compile(a.grep) if a.grep else None
    for title, ctr in (("self", selfc), ("total", totalc)):
        print(f"\ntop {a.top} by {title}:")
        shown = 0
        for f, v in ctr.most_common():
            if rx and not rx.search(f):
                continue
            print(f"  {100 * v / n:5.1f}%  {f[:160]}")
            shown += 1
            if shown >= a.top:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
