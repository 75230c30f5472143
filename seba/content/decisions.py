"""The review page's decisions: which message texts were labelled or ignored, by whom.

One row per normalised text (``handoff_review_decisions``, key = its SHA-256): the primary
key is what makes two staff labelling the same message at once safe: the second insert
fails, and that person is told who was first. Undoing the change deletes the row, and the
message is back in the queue.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Optional, Set

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from handoff.db import as_local, session_scope
from handoff.models import ReviewDecision


@dataclass(frozen=True)
class Decision:
    key: str
    text: str
    decision: str  # labelled / ignored
    label: Optional[str]
    author: str
    created_at: dt.datetime
    change_id: Optional[int]


class AlreadyDecided(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.key)
        self.decision = decision

    @property
    def message(self) -> str:
        d = self.decision
        what = f"labelled it {d.label}" if d.decision == "labelled" else "ignored it"
        return (
            f"{d.author} {what} at {d.created_at:%H:%M} ({d.created_at:%d %b}), just "
            "before you: nothing more to do for this message."
        )


def key_of(normalised_text: str) -> str:
    return hashlib.sha256(normalised_text.encode("utf-8")).hexdigest()


def _view(row: ReviewDecision) -> Decision:
    return Decision(
        row.key, row.text, row.decision, row.label, row.author, row.created_at, row.change_id
    )


def get(key: str, url: Optional[str] = None) -> Optional[Decision]:
    with session_scope(url) as session:
        row = session.get(ReviewDecision, key)
        return _view(row) if row else None


def decided_keys(url: Optional[str] = None) -> Set[str]:
    with session_scope(url) as session:
        return set(session.execute(select(ReviewDecision.key)).scalars())


def claim(
    key: str,
    text: str,
    decision: str,
    label: Optional[str],
    staff,
    now: Optional[dt.datetime] = None,
    url: Optional[str] = None,
) -> None:
    """Record the decision, or AlreadyDecided (someone was first)."""
    try:
        with session_scope(url) as session:
            session.add(
                ReviewDecision(
                    key=key,
                    text=text,
                    decision=decision,
                    label=label,
                    agent_id=staff.id,
                    author=staff.display_name,
                    created_at=as_local(now),
                )
            )
    except IntegrityError:
        first = get(key, url=url)
        if first is None:  # deleted again in between: an undo; let them try again
            raise
        raise AlreadyDecided(first) from None


def attach(key: str, change_id: int, url: Optional[str] = None) -> None:
    with session_scope(url) as session:
        session.execute(
            update(ReviewDecision).where(ReviewDecision.key == key).values(change_id=change_id)
        )


def forget(key: str, url: Optional[str] = None) -> bool:
    """Delete the decision (the change that made it was undone)."""
    with session_scope(url) as session:
        return session.execute(delete(ReviewDecision).where(ReviewDecision.key == key)).rowcount > 0
