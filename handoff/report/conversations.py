"""From Rasa sessions and tickets to the report's conversations, and what became of each.

**A conversation** is a Rasa conversation session (a new one starts after 60 quiet minutes,
domain.yml ``session_config``) in which the customer wrote at least once. Two kinds of
session continue an earlier conversation instead of starting one: a session that began
while the customer's handover ticket was still open (they wrote again while waiting, or
the agent's chat outlasted a session), and a session the console opened (an agent's hand
back after the session had expired). A conversation belongs to the shop-local day of the
customer's first message; its channel comes from its id (``tg:``, ``fb:``, ``web:``,
``rest:``), its language is the reply language of its messages (``seba.language``).

**Outcome**, exactly one per conversation:

- *handed to a person*: a handover ticket was opened during it (the reason is the first
  ticket's);
- *left without help*: no ticket, and the customer's last message was not understood
  (``nlu_fallback``), out of scope, or asked for a person / complained without reaching
  the queue;
- *solved by the bot alone*: everything else (no ticket, and the bot understood the last
  thing the customer said).
"""

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

from channels import PREFIXES
from handoff.report.reading import BotRatingRow, CustomerMessage, Session, TicketRow
from seba.language import language_for_events

SOLVED, HANDED_OVER, LEFT = "solved", "handed_over", "left"
OUTCOMES = (SOLVED, HANDED_OVER, LEFT)
NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")
WANTED_A_PERSON = ("human_handoff", "complaint")
CHANNEL_OF_PREFIX = {prefix: channel for channel, prefix in PREFIXES.items()}
OTHER_CHANNEL = "other"


def channel_of(conversation_id: str) -> str:
    """``telegram`` / ``facebook`` / ``socketio`` / ``rest`` from the id's prefix, else other."""
    prefix, colon, rest = conversation_id.partition(":")
    return CHANNEL_OF_PREFIX.get(prefix, OTHER_CHANNEL) if colon and rest else OTHER_CHANNEL


@dataclass
class Conversation:
    sender_id: str
    started: float  # the first session's start (Unix time): where its span begins
    messages: List[CustomerMessage] = field(default_factory=list)
    in_range: bool = True
    tickets: List[TicketRow] = field(default_factory=list)
    bot_ratings: List[int] = field(default_factory=list)

    @property
    def first_message(self) -> float:
        return self.messages[0].at

    @property
    def channel(self) -> str:
        return channel_of(self.sender_id)

    @property
    def language(self) -> str:
        return language_for_events(m.as_event() for m in self.messages)

    @property
    def outcome(self) -> str:
        if self.tickets:
            return HANDED_OVER
        last = self.messages[-1].intent if self.messages else None
        if last in NOT_UNDERSTOOD or last in WANTED_A_PERSON:
            return LEFT
        return SOLVED

    @property
    def reason(self) -> Optional[str]:
        return self.tickets[0].reason if self.tickets else None


def _continues(session: Session, tickets: List[TicketRow], earlier: Set[str]) -> bool:
    if session.leading and session.sender_id in earlier:
        return True  # it began before the events we read
    return session.opened_by_console or any(t.open_at(session.started) for t in tickets)


def _sender_conversations(
    sessions: List[Session], tickets: List[TicketRow], earlier: Set[str]
) -> List[Conversation]:
    """All of one sender's conversations that start in the events read (in order), plus a
    placeholder (``in_range=False``) for the part of an older one that reaches into them."""
    found: List[Conversation] = []
    for session in sessions:
        if _continues(session, tickets, earlier):
            if not found:
                found.append(Conversation(session.sender_id, session.started, in_range=False))
            found[-1].messages.extend(session.messages)
        elif session.messages:
            found.append(Conversation(session.sender_id, session.started, list(session.messages)))
    return found


def _attach(
    conversations: List[Conversation], starts: List[float], moment: float
) -> Optional[Conversation]:
    """The conversation whose span (its start until the next one's) holds ``moment``."""
    index = bisect.bisect_right(starts, moment) - 1
    return conversations[index] if index >= 0 else None


def assemble(
    sessions: Dict[str, List[Session]],
    tickets: Iterable[TicketRow],
    bot_ratings: Iterable[BotRatingRow],
    since: float,
    until: float,
    earlier: Set[str],
) -> Tuple[List[Conversation], List[TicketRow]]:
    """The conversations whose first customer message lies in ``[since, until)`` (Unix
    times) with their tickets and bot ratings, and the tickets opened in the range that
    belong to no conversation read from the tracker store."""
    tickets_of: Dict[str, List[TicketRow]] = defaultdict(list)
    for ticket in tickets:
        tickets_of[ticket.conversation_id].append(ticket)
    ratings_of: Dict[str, List[BotRatingRow]] = defaultdict(list)
    for rating in bot_ratings:
        ratings_of[rating.conversation_id].append(rating)

    result: List[Conversation] = []
    unmatched: List[TicketRow] = []
    for sender in set(sessions) | set(tickets_of):
        mine = _sender_conversations(sessions.get(sender, []), tickets_of.get(sender, []), earlier)
        for conversation in mine:
            if conversation.in_range and not since <= conversation.first_message < until:
                conversation.in_range = False
        starts = [c.started for c in mine]
        for ticket in tickets_of.get(sender, []):
            home = _attach(mine, starts, ticket.created)
            if home is not None:
                home.tickets.append(ticket)
            elif since <= ticket.created < until:
                unmatched.append(ticket)
        for rating in ratings_of.get(sender, []):
            home = _attach(mine, starts, rating.created)
            if home is not None:
                home.bot_ratings.append(rating.rating)
        result.extend(c for c in mine if c.in_range)
    result.sort(key=lambda c: (c.first_message, c.sender_id))
    unmatched.sort(key=lambda t: (t.created_at, t.id))
    return result, unmatched
