"""The review queue: what customers said that the bot did not understand or was unsure of.

Read in bulk from Rasa's tracker store (``seba.tracker_db``) and the handoff tickets, over
the last ``review.days`` days (shop.yml). A customer message is in the queue when

- it ended in ``nlu_fallback`` or ``out_of_scope`` ("not understood");
- the bot's confidence was below ``review.confidence_line`` (shop.yml, default 0.6; for an
  FAQ question, the FAQ's confidence times its answer's): "unsure";
- its conversation was handed over to a person (a ticket): the customer's messages from the
  start of that stretch with the bot (session start, restart, or the bot's return after an
  earlier handover) up to the handover. Messages sent while the bot was paused went to an
  agent and are not the bot's business;
- the bot asked which of two close guesses was meant (``seba.clarify``, intent ``clarify``):
  "unsure"; when the customer answered with a button, "customer chose" with the chosen label
  (``chosen``), which the review page pre-selects: one click makes it an example.

Kept out as junk: messages over ``seba.inbound``'s limit, with no letters, one to three
characters repeated ("aaaaaaa", "hahaha"), button payloads (``/intent…``), messages the
bot already has as a training example, and those ``seba.inbound`` answered without the NLU.

Grouping: messages whose normalised text is the same (``training_files.normalised``: case,
Bengali or ASCII digits, any number, punctuation, emoji and extra spaces do not count) are
one item, shown with the most frequent way it was written and how often it came. A
labelled or ignored item (``seba.content.decisions``) stays out of the queue.

Phone numbers are NOT masked here: pages mask what they show (``seba.text.mask_phones``).

    python -m seba.content.review_queue      # make review: the queue as text, phones masked
"""

import argparse
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import sqlalchemy as sa

from handoff.db import local_now, session_scope, to_epoch
from handoff.models import Ticket
from seba import clarify, inbound
from seba.content import N_, decisions
from seba.content.files import one_line
from seba.content.training_files import intent_blocks, normalised, plain
from seba.language import EXTERNAL_PREFIX, detect_variety
from seba.text import find_phones, mask_phones, to_bengali_digits
from seba.tracker_db import conversation_events, events_between

NOT_UNDERSTOOD, UNSURE, HANDED_OVER = "not_understood", "unsure", "handed_over"
CUSTOMER_CHOSE = "customer_chose"
REASON_LABELS = {
    NOT_UNDERSTOOD: N_("Not understood"),
    UNSURE: N_("Unsure"),
    HANDED_OVER: N_("Handed over"),
    CUSTOMER_CHOSE: N_("Customer chose"),
}
NOT_UNDERSTOOD_INTENTS = {"nlu_fallback", "out_of_scope"}
NOT_NLU = {inbound.TOO_LONG, inbound.EMPTY}
# Not guesses of what a message means: Rasa's "unsure" and Seba's "which of two?".
_NOT_GUESSES = ("nlu_fallback", clarify.CLARIFY_INTENT)
DEFAULT_CONFIDENCE_LINE, DEFAULT_DAYS = 0.6, 30
#: A phone number in a message is written into the training data as this demo number.
EXAMPLE_PHONE = "01711000001"
# What resets "the bot's stretch" of a conversation (see the module docstring).
_STRETCH_STARTS = {"session_started", "restart", "resume"}
_TYPES = ("user", "pause", "resume", "restart", "session_started")
# Rasa's events table (read-only, like seba.tracker_db) for looking one message up by id.
_EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("data"),
)


@dataclass(frozen=True)
class Guess:
    label: str  # "order_status", "faq/delivery_time"
    confidence: float


@dataclass
class Occurrence:
    event_id: int
    sender_id: str
    moment: dt.datetime
    text: str  # cleaned (seba.inbound), as the customer wrote it
    guesses: List[Guess]
    reasons: Set[str] = field(default_factory=set)
    handover: Optional[str] = None  # the ticket's reason
    chosen: Optional[str] = None  # the label the customer picked when the bot asked


@dataclass
class ReviewItem:
    key: str
    text: str  # the most frequent way it was written
    count: int
    conversations: int
    reasons: List[str]
    handovers: List[str]  # ticket reasons
    guesses: List[Guess]
    last_seen: dt.datetime
    sample: Occurrence  # the latest occurrence (its context is shown)
    chosen: Optional[str] = None  # what the customer picked when asked (the latest choice)

    @property
    def example(self) -> str:
        return example_text(self.sample.text)

    @property
    def variety(self) -> Optional[str]:
        return detect_variety(self.text)


@dataclass
class Queue:
    items: List[ReviewItem]
    kept_out: Counter  # why messages were kept out (junk reasons, "decided")
    since: dt.datetime
    confidence_line: float


@dataclass(frozen=True)
class Turn:
    kind: str  # customer / bot
    text: str  # phones masked
    buttons: Tuple[str, ...] = ()
    current: bool = False  # the message under review


# --- one message -------------------------------------------------------------------------------


def example_text(text: str) -> str:
    """The message as it would be written into the training data: one line, phone numbers
    replaced by the demo number (in the digits the customer used). A customer's phone
    number never goes into the project's files."""
    text = one_line(text)
    for start, end, _digits in reversed(find_phones(text)):
        bengali = any("\u09e6" <= ch <= "\u09ef" for ch in text[start:end])
        text = (
            text[:start]
            + (to_bengali_digits(EXAMPLE_PHONE) if bengali else EXAMPLE_PHONE)
            + text[end:]
        )
    return text


_REPEATED = re.compile(r"(.{1,3}?)\1{2,}")


def junk_reason(text: str, max_chars: int) -> Optional[str]:
    if len(text) > max_chars:
        return N_("too long")
    if text.startswith("/"):
        return N_("button")
    if not any(ch.isalpha() for ch in text):
        return N_("no letters")
    letters = "".join(ch for ch in text.casefold() if ch.isalnum())
    if len(letters) >= 4 and _REPEATED.fullmatch(letters):
        return N_("repeated characters")
    return None


def guesses(parse: Dict[str, Any], count: int = 2) -> List[Guess]:
    """The bot's best ``count`` guesses: the intent ranking without ``nlu_fallback``, with
    ``faq`` split into its FAQ keys (``response_selector.faq.ranking``, written by
    ``seba.nlu.FaqKeySelector``), each key's share of the FAQ's confidence."""
    ranking = [
        r
        for r in parse.get("intent_ranking") or []
        if isinstance(r, dict) and r.get("name") and r["name"] not in _NOT_GUESSES
    ]
    intent = parse.get("intent") or {}
    if not ranking and intent.get("name") not in (None, *_NOT_GUESSES):
        ranking = [intent]
    keys = ((parse.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    found: List[Guess] = []
    for r in ranking:
        confidence = float(r.get("confidence") or 0.0)
        if r["name"] == "faq" and keys:
            found += [
                Guess(k["intent_response_key"], confidence * float(k.get("confidence") or 0))
                for k in keys
                if k.get("intent_response_key")
            ]
        else:
            found.append(Guess(r["name"], confidence))
    found.sort(key=lambda g: -g.confidence)
    return found[:count]


def _confidence(parse: Dict[str, Any]) -> float:
    intent = parse.get("intent") or {}
    confidence = float(intent.get("confidence") or 0.0)
    if intent.get("name") == "faq":
        chosen = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        if chosen.get("confidence") is not None:
            confidence *= float(chosen["confidence"])
    return confidence


def _is_customer_text(data: Dict[str, Any]) -> bool:
    text = data.get("text") or ""
    return not ((data.get("metadata") or {}).get("is_external") or text.startswith(EXTERNAL_PREFIX))


# --- the queue ----------------------------------------------------------------------------------


def handover_tickets(
    since: dt.datetime, url: Optional[str] = None
) -> Dict[str, List[Tuple[float, str]]]:
    """{conversation id: [(ticket created, epoch; reason)]} of tickets since ``since``."""
    tickets: Dict[str, List[Tuple[float, str]]] = defaultdict(list)
    with session_scope(url) as session:
        rows = (
            session.query(Ticket.conversation_id, Ticket.created_at, Ticket.reason)
            .filter(Ticket.created_at >= since)
            .order_by(Ticket.created_at)
        )
        for conversation_id, created_at, reason in rows:
            tickets[conversation_id].append((to_epoch(created_at), reason))
    return tickets


def occurrences(
    events: Iterable[Any], tickets: Dict[str, List[Tuple[float, str]]], confidence_line: float
) -> Iterable[Occurrence]:
    """The customer messages of ``events`` (tracker rows in storage order) with a reason to
    be reviewed, each with its reasons."""
    paused: Set[str] = set()
    stretch: Dict[str, List[Occurrence]] = defaultdict(list)
    pending = {sender: list(found) for sender, found in tickets.items()}

    def handovers_before(sender: str, timestamp: float) -> Iterable[Occurrence]:
        # Every ticket created before this event ends the bot's stretch before it.
        queue = pending.get(sender)
        while queue and queue[0][0] <= timestamp:
            _created, reason = queue.pop(0)
            for occurrence in stretch.pop(sender, []):
                occurrence.reasons.add(HANDED_OVER)
                occurrence.handover = reason
                yield occurrence

    for row in events:
        sender = row.sender_id
        yield from handovers_before(sender, row.timestamp)
        if row.type_name in _STRETCH_STARTS:
            yield from (o for o in stretch.pop(sender, []) if o.reasons)
            paused.discard(sender)  # Rasa un-pauses on each of them
            continue
        if row.type_name == "pause":
            paused.add(sender)
            continue
        data = row.data
        if row.type_name != "user" or sender in paused or not _is_customer_text(data):
            continue
        parse = data.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent in NOT_NLU:
            continue
        if isinstance(parse.get(clarify.CHOSE), dict):  # a clarify button: the choice
            _record_choice(stretch[sender], parse[clarify.CHOSE])
            continue
        occurrence = Occurrence(
            row.id, sender, row.moment, inbound.clean(data.get("text") or ""), guesses(parse)
        )
        if intent in NOT_UNDERSTOOD_INTENTS:
            occurrence.reasons.add(NOT_UNDERSTOOD)
        elif intent == clarify.CLARIFY_INTENT or _confidence(parse) < confidence_line:
            occurrence.reasons.add(UNSURE)
        stretch[sender].append(occurrence)
    for sender in list(stretch):
        yield from handovers_before(sender, float("inf"))
    for found in stretch.values():
        yield from (o for o in found if o.reasons)


def _record_choice(stretch: List[Occurrence], chose: Dict[str, Any]) -> None:
    """The customer pressed a clarify button: the label goes on the message it answered
    (the customer's latest message before it, when its text is the one asked about)."""
    label = str(chose.get("label") or "")
    if not stretch or label not in (chose.get("choices") or []):
        return
    original = stretch[-1]
    if one_line(original.text) == one_line(inbound.clean(str(chose.get("text") or ""))):
        original.chosen = label
        original.reasons.add(CUSTOMER_CHOSE)


def group(
    found: Iterable[Occurrence], training: Set[str], decided: Set[str], max_chars: int
) -> Tuple[List[ReviewItem], Counter]:
    kept_out: Counter = Counter()
    groups: Dict[str, List[Occurrence]] = defaultdict(list)
    for occurrence in found:
        text = one_line(occurrence.text)
        why = junk_reason(text, max_chars)
        norm = normalised(text) if why is None else ""
        if why is None and norm in training:
            why = N_("already an example")
        if why is None and decisions.key_of(norm) in decided:
            why = N_("labelled or ignored")
        if why:
            kept_out[why] += 1
            continue
        groups[decisions.key_of(norm)].append(occurrence)
    items = []
    for key, members in groups.items():
        members.sort(key=lambda o: (o.moment, o.event_id))
        written: Counter = Counter()
        seen: Dict[str, int] = {}
        for n, o in enumerate(members):
            written[one_line(o.text)] += 1
            seen[one_line(o.text)] = n
        text = max(written, key=lambda t: (written[t], seen[t]))  # most often, then latest
        latest = members[-1]
        reasons = sorted({r for o in members for r in o.reasons}, key=list(REASON_LABELS).index)
        chosen = next((o.chosen for o in reversed(members) if o.chosen), None)
        items.append(
            ReviewItem(
                key=key,
                text=text,
                count=len(members),
                conversations=len({o.sender_id for o in members}),
                reasons=reasons,
                handovers=sorted({o.handover for o in members if o.handover}),
                guesses=latest.guesses,
                last_seen=latest.moment,
                sample=latest,
                chosen=chosen,
            )
        )
    items.sort(key=lambda i: (-i.count, -i.last_seen.timestamp()))
    return items, kept_out


def training_texts(root: Path) -> Set[str]:
    return {
        normalised(plain(example))
        for block in intent_blocks(root).values()
        for example in block.examples
    }


def build(
    root: Path,
    engine,
    since: dt.datetime,
    confidence_line: float,
    url: Optional[str] = None,
    max_chars: Optional[int] = None,
) -> Queue:
    """The queue from the tracker store (``engine``) and the handoff database (``url``)."""
    tickets = handover_tickets(since, url=url)
    found = occurrences(events_between(engine, since, types=_TYPES), tickets, confidence_line)
    items, kept_out = group(
        found,
        training_texts(root),
        decisions.decided_keys(url=url),
        max_chars or inbound.max_chars(),
    )
    return Queue(items, kept_out, since, confidence_line)


def context(engine, sender_id: str, event_id: int, before: int = 3, after: int = 2) -> List[Turn]:
    """The turns around one message, phones masked."""
    turns: List[Tuple[int, Turn]] = []
    for row in conversation_events(engine, sender_id, types=("user", "bot")):
        data = row.data
        if row.type_name == "user":
            if not _is_customer_text(data):
                continue
            turns.append(
                (
                    row.id,
                    Turn(
                        "customer",
                        mask_phones(one_line(data.get("text"))[:500]),
                        current=row.id == event_id,
                    ),
                )
            )
        else:
            payload = data.get("data") or {}
            buttons = tuple(
                str(b.get("title"))
                for b in (payload.get("buttons") or payload.get("quick_replies") or [])
                if isinstance(b, dict) and b.get("title")
            )
            turns.append((row.id, Turn("bot", mask_phones(str(data.get("text") or "")), buttons)))
    at = next((i for i, (event, _t) in enumerate(turns) if event == event_id), None)
    if at is None:
        return []
    return [turn for _event, turn in turns[max(0, at - before) : at + after + 1]]


def find_occurrence(engine, event_id: int) -> Optional[Occurrence]:
    """One stored customer message by its event id (for labelling: the text comes from the
    tracker store, not from the browser, and the page never needs the conversation id,
    which may be the customer's phone number)."""
    if not sa.inspect(engine).has_table("events"):
        return None
    query = sa.select(_EVENTS).where(_EVENTS.c.id == int(event_id), _EVENTS.c.type_name == "user")
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    data = json.loads(row.data) if row.data else {}
    if not _is_customer_text(data):
        return None
    return Occurrence(
        row.id,
        row.sender_id,
        dt.datetime.fromtimestamp(float(row.timestamp or 0)),
        inbound.clean(data.get("text") or ""),
        guesses(data.get("parse_data") or {}),
    )


# --- make review -------------------------------------------------------------------------------


def review_settings() -> Tuple[float, int]:
    """(confidence line, days) from shop.yml ``review``."""
    try:
        from seba.settings import load_settings

        raw = load_settings().raw.get("review") or {}
    except Exception:  # noqa: BLE001 - unreadable settings: the defaults
        raw = {}
    try:
        line = min(max(float(raw.get("confidence_line", DEFAULT_CONFIDENCE_LINE)), 0.0), 1.0)
    except (TypeError, ValueError):
        line = DEFAULT_CONFIDENCE_LINE
    try:
        days = max(int(raw.get("days", DEFAULT_DAYS)), 1)
    except (TypeError, ValueError):
        days = DEFAULT_DAYS
    return line, days


def main(argv: Optional[Sequence[str]] = None) -> None:
    from seba import PROJECT_ROOT
    from seba.tracker_db import tracker_engine

    parser = argparse.ArgumentParser(
        description="What the bot did not understand (the "
        "console's review page, as text; phones masked)."
    )
    parser.add_argument("--root", default=str(PROJECT_ROOT), help="the Rasa project")
    parser.add_argument("--limit", type=int, default=30)
    args = parser.parse_args(argv)
    line, days = review_settings()
    queue = build(Path(args.root), tracker_engine(), local_now() - dt.timedelta(days=days), line)
    print(
        f"{len(queue.items)} messages to review (last {days} days, confidence line {line}); "
        f"label them in the console's Review page (/content/review)."
    )
    for item in queue.items[: args.limit]:
        guessed = ", ".join(f"{g.label} {g.confidence:.0%}" for g in item.guesses) or "-"
        print(f"{item.count:4d}x  {mask_phones(item.text)[:100]}  [{guessed}]")
    if queue.kept_out:
        print("kept out: " + ", ".join(f"{n} {why}" for why, n in queue.kept_out.most_common()))


if __name__ == "__main__":
    main()
