"""The report's figures, computed from the conversations (``conversations.assemble``).

Every figure is a ``Table`` (the page shows it, the CSV export writes it) whose cells are
plain values: counts, shares (0-100, one decimal), minutes (one decimal), ratings, text.
The page formats them; the CSV keeps them as numbers.

Times of handed-over chats are the tickets' own timestamps: *waiting* is from the handover
to the agent's claim (a ticket put back in the queue and claimed again counts to the last
claim), *handling* from the claim to "Mark resolved" or "Hand back to bot", *left waiting*
from the handover to the sweep taking it off the queue. Median: the middle value (the mean
of the two middle ones for an even count); 90th percentile: nearest rank (the smallest
value that at least 90 % of the tickets do not exceed).
"""

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from handoff.console.i18n import N_
from handoff.console.render import CHANNEL_LABELS, LANGUAGE_LABELS, REASON_LABELS
from handoff.db import from_epoch
from handoff.models import REASONS
from handoff.report.conversations import (
    HANDED_OVER,
    LEFT,
    NOT_UNDERSTOOD,
    OTHER_CHANNEL,
    OUTCOMES,
    SOLVED,
    Conversation,
)
from handoff.report.dates import DateRange, Notice
from handoff.report.reading import TicketRow
from seba.text import mask_phones

UNSURE_BELOW = 0.6  # like the review queue: understood, but with less confidence than this
PAGE_ROWS = 20  # rows of the long tables (questions, misses) on the page
CSV_ROWS = 500  # and in their CSV files
MAX_TEXT = 300

OUTCOME_LABELS = {
    SOLVED: N_("Solved by the bot alone"),
    HANDED_OVER: N_("Handed to a person"),
    LEFT: N_("Left without help"),
}
CHANNELS = [(code, CHANNEL_LABELS[code]) for code in ("facebook", "telegram", "socketio", "rest")]
LANGUAGES = list(LANGUAGE_LABELS.items())
QUESTION_LABELS = {
    "order_status": N_("Where is my order?"),
    "cancel_order": N_("Cancel an order"),
    "return_policy": N_("Return policy"),
    "return_request": N_("Return an item"),
    "refund_status": N_("Refund status"),
    "product_info": N_("Price and stock of a product"),
    "human_handoff": N_("Asked for a person"),
    "complaint": N_("Complaint"),
    "bot_challenge": N_("Is this a bot?"),
    "faq": N_("FAQ (key not known)"),
}
NOT_QUESTIONS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "inform",
        "rate",
        "message_too_long",
        "empty_message",
        *NOT_UNDERSTOOD,
    }
)
MISS_KINDS = {
    "nlu_fallback": N_("Not understood"),
    "out_of_scope": N_("Out of scope"),
    "unsure": N_("Unsure (below 60%)"),
}  # says UNSURE_BELOW


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # text / date / count / share / minutes / rating


@dataclass
class Table:
    key: str
    title: str
    columns: List[Column]
    rows: List[List[Any]] = field(default_factory=list)
    note: str = ""
    page_rows: Optional[int] = None  # show only the first n on the page
    total_rows: Optional[int] = None  # how many there were before CSV_ROWS cut them


@dataclass
class Report:
    range: DateRange
    tables: Dict[str, Table]
    summary: Dict[str, Any]
    charts: Dict[str, Any]
    notes: List[str] = field(default_factory=list)
    seconds: float = 0.0


def share(part: int, whole: int) -> Optional[float]:
    return round(100.0 * part / whole, 1) if whole else None


def median(values: Sequence[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    """Nearest rank: the smallest value that at least ``p`` % of ``values`` do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1], 1)


def _minutes(start: Optional[dt.datetime], end: Optional[dt.datetime]) -> Optional[float]:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


def _average(values: Sequence[int]) -> Optional[float]:
    return round(sum(values) / len(values), 2) if values else None


# --- the tables ------------------------------------------------------------------------------


def days_table(conversations: List[Conversation], date_range: DateRange) -> Table:
    counts: Dict[dt.date, Counter] = defaultdict(Counter)
    for c in conversations:
        counts[from_epoch(c.first_message).date()][c.outcome] += 1
    rows = [
        [day.isoformat(), sum(counts[day].values())] + [counts[day][o] for o in OUTCOMES]
        for day in date_range.days
    ]
    return Table(
        "days",
        N_("Conversations per day"),
        [
            Column("date", N_("Date"), "date"),
            Column("conversations", N_("Conversations")),
            *[Column(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
        ],
        rows,
    )


def _shares(key: str, title: str, label: str, counted: Counter, names, total: int) -> Table:
    rows = [[name, counted[code], share(counted[code], total)] for code, name in names]
    return Table(
        key,
        title,
        [
            Column(key, label, "text"),
            Column("conversations", N_("Conversations")),
            Column("share", N_("Share"), "share"),
        ],
        rows,
    )


def times_table(tickets: List[TicketRow]) -> Table:
    waited = [m for t in tickets if (m := _minutes(t.created_at, t.assigned_at)) is not None]
    handled = [
        m
        for t in tickets
        if t.state == "resolved" and (m := _minutes(t.assigned_at, t.resolved_at)) is not None
    ]
    left = [
        m
        for t in tickets
        if t.state == "abandoned" and (m := _minutes(t.created_at, t.resolved_at)) is not None
    ]
    rows = [
        [label, len(values), median(values), percentile(values, 90)]
        for label, values in (
            (N_("Waiting for an agent (handover → claimed)"), waited),
            (N_("Handling by the agent (claimed → resolved or handed back)"), handled),
            (N_("Left waiting (handover → taken off the queue)"), left),
        )
    ]
    return Table(
        "times",
        N_("Waiting and handling times of handed-over chats"),
        [
            Column("measure", N_("Time"), "text"),
            Column("tickets", N_("Tickets")),
            Column("median_minutes", N_("Median"), "minutes"),
            Column("p90_minutes", N_("90th percentile"), "minutes"),
        ],
        rows,
    )


def endings_table(tickets: List[TicketRow]) -> Table:
    ended = Counter(t.resolution or t.state for t in tickets)
    rows = [
        [label, ended[code], share(ended[code], len(tickets))]
        for code, label in (
            ("resolved", N_("Resolved by an agent")),
            ("handed_back", N_("Handed back to the bot")),
            ("abandoned", N_("Left waiting (customer went quiet)")),
            ("waiting", N_("Still waiting")),
            ("assigned", N_("Still with an agent")),
        )
    ]
    return Table(
        "handovers",
        N_("How the handovers ended"),
        [
            Column("ending", N_("Ending"), "text"),
            Column("tickets", N_("Tickets")),
            Column("share", N_("Share"), "share"),
        ],
        rows,
    )


def ratings_table(people: List[int], bot: List[int]) -> Table:
    rows = []
    for label, values in (
        (N_("With a person (after the agent's chat)"), people),
        (N_("Bot alone"), bot),
    ):
        stars = Counter(values)
        rows.append([label, len(values), _average(values)] + [stars[n] for n in range(1, 6)])
    return Table(
        "ratings",
        N_("Ratings (1–5) with and without people"),
        [
            Column("who", N_("Who helped"), "text"),
            Column("ratings", N_("Ratings")),
            Column("average", N_("Average"), "rating"),
            *[Column(f"stars_{n}", f"{n}★") for n in range(1, 6)],
        ],
        rows,
    )


def question_of(message) -> Optional[str]:
    if message.intent in NOT_QUESTIONS or not message.intent:
        return None
    if message.intent.startswith("EXTERNAL_"):
        return None
    return message.faq_key or message.intent


def question_label(code: str) -> str:
    if code.startswith("faq/"):
        return "FAQ: " + code[4:].replace("_", " ")  # the page shows the FAQ key as it is
    return QUESTION_LABELS.get(code, code.replace("_", " "))


def questions_table(conversations: List[Conversation]) -> Table:
    messages, asked_in = Counter(), Counter()
    for c in conversations:
        codes = [q for q in map(question_of, c.messages) if q]
        messages.update(codes)
        asked_in.update(set(codes))
    ranked = sorted(asked_in, key=lambda q: (-asked_in[q], -messages[q], q))
    rows = [[question_label(q), q, asked_in[q], messages[q]] for q in ranked]
    return Table(
        "questions",
        N_("Most common questions"),
        [
            Column("question", N_("Question"), "text"),
            Column("code", N_("Intent / FAQ key"), "text"),
            Column("conversations", N_("Conversations")),
            Column("messages", N_("Messages")),
        ],
        rows[:CSV_ROWS],
        page_rows=PAGE_ROWS,
        total_rows=len(rows),
    )


def miss_kind(message) -> Optional[str]:
    if message.is_button:
        return None  # the bot's own buttons are not the customer's words
    if message.intent in NOT_UNDERSTOOD:
        return message.intent
    if message.confidence < UNSURE_BELOW:
        return "unsure"
    return None


def misses_table(conversations: List[Conversation]) -> Table:
    """Messages the bot did not understand, or understood with little confidence, grouped
    by their text (phones masked, spacing and case ignored)."""
    times, conversations_of = Counter(), defaultdict(set)
    shown: Dict[str, Counter] = defaultdict(Counter)
    kinds: Dict[str, Counter] = defaultdict(Counter)
    guesses: Dict[str, Counter] = defaultdict(Counter)
    for c in conversations:
        for message in c.messages:
            kind = miss_kind(message)
            text = " ".join(mask_phones(message.text).split())[:MAX_TEXT]
            if kind is None or not text:
                continue
            key = text.casefold()
            times[key] += 1
            conversations_of[key].add(c.sender_id + f"@{c.started}")
            shown[key][text] += 1
            kinds[key][kind] += 1
            if message.guess and message.guess not in NOT_UNDERSTOOD:
                guesses[key][message.faq_key or message.guess] += 1
    ranked = sorted(times, key=lambda k: (-times[k], k))
    rows = []
    for key in ranked:
        kind = next(k for k in MISS_KINDS if kinds[key][k])  # the worst kind seen
        guess = guesses[key].most_common(1)[0][0] if guesses[key] else ""
        rows.append(
            [
                shown[key].most_common(1)[0][0],
                times[key],
                len(conversations_of[key]),
                MISS_KINDS[kind],
                guess,
            ]
        )
    return Table(
        "misses",
        N_("Most common misses"),
        [
            Column("text", N_("What the customer wrote (phones masked)"), "text"),
            Column("times", N_("Times")),
            Column("conversations", N_("Conversations")),
            Column("kind", N_("Kind"), "text"),
            Column("guess", N_("Bot's best guess"), "text"),
        ],
        rows[:CSV_ROWS],
        page_rows=PAGE_ROWS,
        total_rows=len(rows),
    )


# --- the whole report ------------------------------------------------------------------------


def compute(
    conversations: List[Conversation], date_range: DateRange, unmatched: Sequence[TicketRow] = ()
) -> Report:
    total = len(conversations)
    outcomes = Counter(c.outcome for c in conversations)
    handed = [c for c in conversations if c.outcome == HANDED_OVER]
    tickets = sorted(
        (t for c in conversations for t in c.tickets), key=lambda t: (t.created_at, t.id)
    )
    people = [t.rating for t in tickets if t.rating is not None]
    bot = [r for c in conversations for r in c.bot_ratings]
    channels = Counter(c.channel for c in conversations)
    tables = [
        days_table(conversations, date_range),
        _shares(
            "channels",
            N_("Conversations per channel"),
            N_("Channel"),
            channels,
            CHANNELS + ([(OTHER_CHANNEL, N_("Other"))] if channels[OTHER_CHANNEL] else []),
            total,
        ),
        _shares(
            "languages",
            N_("Conversations per language (the bot's reply language)"),
            N_("Language"),
            Counter(c.language for c in conversations),
            LANGUAGES,
            total,
        ),
        _shares(
            "outcomes",
            N_("Solved by the bot, handed to people, left"),
            N_("Outcome"),
            outcomes,
            [(o, OUTCOME_LABELS[o]) for o in OUTCOMES],
            total,
        ),
        _shares(
            "reasons",
            N_("Why conversations were handed to people"),
            N_("Reason"),
            Counter(c.reason for c in handed),
            [(r, REASON_LABELS.get(r, r)) for r in REASONS],
            len(handed),
        ),
        times_table(tickets),
        endings_table(tickets),
        ratings_table(people, bot),
        questions_table(conversations),
        misses_table(conversations),
    ]
    by_key = {t.key: t for t in tables}
    waits = by_key["times"].rows[0]
    summary = {
        "conversations": total,
        "solved": share(outcomes[SOLVED], total),
        "handed_over": share(outcomes[HANDED_OVER], total),
        "left": share(outcomes[LEFT], total),
        "median_wait": waits[2],
        "rating_people": _average(people),
        "rating_bot": _average(bot),
    }
    notes = []
    if unmatched:
        notes.append(
            Notice(
                N_(
                    "%(count)s handover ticket(s) of these days belong to no "
                    "conversation in the tracker store (deleted, or another store) "
                    "and are left out."
                ),
                count=len(unmatched),
            )
        )
    return Report(date_range, by_key, summary, charts(by_key), notes)


def charts(tables: Dict[str, Table]) -> Dict[str, Any]:
    """What the page's charts draw (report.js): labels and series, straight from the tables."""

    def pairs(key: str) -> Dict[str, list]:
        rows = tables[key].rows
        return {"labels": [r[0] for r in rows], "values": [r[1] for r in rows]}

    days = tables["days"].rows
    ratings = tables["ratings"].rows
    questions = tables["questions"].rows[:10]
    return {
        "days": {
            "labels": [r[0] for r in days],
            "series": [
                {"label": OUTCOME_LABELS[o], "values": [r[2 + i] for r in days]}
                for i, o in enumerate(OUTCOMES)
            ],
        },
        "outcomes": pairs("outcomes"),
        "reasons": pairs("reasons"),
        "channels": pairs("channels"),
        "languages": pairs("languages"),
        "ratings": {
            "labels": [f"{n}★" for n in range(1, 6)],
            "series": [{"label": r[0], "values": r[3:8]} for r in ratings],
        },
        "questions": {"labels": [r[0] for r in questions], "values": [r[2] for r in questions]},
    }
