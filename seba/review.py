"""The review loop: what customers said that the bot did not understand.

Reads the conversations in Rasa's tracker store (the SQL ``events`` table) and
writes the customer messages that ended in ``nlu_fallback`` or ``out_of_scope``,
or were understood with low confidence, to a YAML file in Rasa's NLU format,
grouped under the bot's best guess. Content staff move each line under the
right intent in ``data/nlu/`` (or delete it), run ``make validate test``, and
the next ``make run`` trains the model on it.

    python -m seba.review [--tracker-db var/tracker.db] [--since-days 7] [--out review/inbox.yml]
"""

import argparse
import datetime as dt
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa

from seba import PROJECT_ROOT
from seba.language import detect_variety
from seba.text import mask_phones

NOT_UNDERSTOOD = {"nlu_fallback", "out_of_scope"}
LOW_CONFIDENCE = 0.6


def _best_guess(parse: Dict) -> Tuple[Optional[str], float]:
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name == "nlu_fallback":
        # The classifier's own first choice is the first ranked real intent.
        ranked = [r for r in parse.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        if ranked:
            return ranked[0]["name"], float(ranked[0].get("confidence") or 0.0)
    return name, confidence


def unclear_messages(rows: Iterable[Tuple[str, str]],
                     threshold: float = LOW_CONFIDENCE) -> Dict[str, Counter]:
    """{best guess: Counter(text)} for (type_name, data JSON) rows of user events."""
    grouped: Dict[str, Counter] = defaultdict(Counter)
    for type_name, data in rows:
        if type_name != "user":
            continue
        event = json.loads(data)
        # Phone numbers never leave the tracker store unmasked (SECURITY.md).
        text = mask_phones((event.get("text") or "").strip())
        if not text or text.startswith("/"):
            continue  # button payloads are not the customer's words
        parse = event.get("parse_data") or {}
        predicted = (parse.get("intent") or {}).get("name")
        guess, confidence = _best_guess(parse)
        if predicted in NOT_UNDERSTOOD or confidence < threshold:
            grouped[guess or "unknown"][text] += 1
    return grouped


def read_events(tracker_db: str, since: dt.datetime) -> List[Tuple[str, str]]:
    url = tracker_db if "://" in tracker_db else f"sqlite:///{tracker_db}"
    engine = sa.create_engine(url)
    query = sa.text(
        "SELECT type_name, data FROM events WHERE type_name = 'user' AND timestamp >= :since"
    )
    with engine.connect() as connection:
        return [(r[0], r[1]) for r in connection.execute(query, {"since": since.timestamp()})]


def to_yaml(grouped: Dict[str, Counter], source: str) -> str:
    lines = [
        f"# Messages the bot did not understand, from {source} "
        f"(exported {dt.date.today().isoformat()}).",
        "# Each block is the bot's best guess - check it! Move every text under the right",
        "# intent in data/nlu/*.yml (or delete it), then run `make validate test`.",
        "# metadata: how often customers wrote it, and its variety (bn/en/banglish).",
        'version: "3.1"',
        "nlu:",
    ]
    for guess in sorted(grouped, key=lambda g: -sum(grouped[g].values())):
        lines += [f"- intent: {guess}", "  examples:"]
        for text, count in grouped[guess].most_common():
            one_line = " ".join(text.split())
            lines.append(f"  - text: {json.dumps(one_line, ensure_ascii=False)}")
            lines.append(f"    metadata: {{times: {count}, variety: {detect_variety(one_line) or '-'}}}")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker-db", default=str(PROJECT_ROOT / "var" / "tracker.db"),
                        help="SQLite file or SQLAlchemy URL of Rasa's tracker store")
    parser.add_argument("--since-days", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=LOW_CONFIDENCE)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "review" / "inbox.yml"))
    args = parser.parse_args(argv)
    since = dt.datetime.now() - dt.timedelta(days=args.since_days)
    grouped = unclear_messages(read_events(args.tracker_db, since), args.threshold)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Customers' words: readable by the shop's own user only.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(to_yaml(grouped, args.tracker_db))
    total = sum(sum(c.values()) for c in grouped.values())
    print(f"{total} messages ({sum(len(c) for c in grouped.values())} different) -> {out}")


if __name__ == "__main__":
    main()
