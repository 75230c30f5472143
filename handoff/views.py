"""Plain snapshots of rows, safe to use after the session closed and to turn into JSON."""

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Dict, Optional

from handoff.models import Agent, Ticket


def _iso(moment: Optional[dt.datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class AgentView:
    id: int
    username: str
    display_name: str
    status: str
    last_seen: Optional[dt.datetime]
    is_active: bool
    role: str = "agent"  # agent / content / owner (handoff/console/roles.py)

    @classmethod
    def of(cls, agent: Agent) -> "AgentView":
        return cls(
            agent.id,
            agent.username,
            agent.display_name,
            agent.status,
            agent.last_seen,
            bool(agent.is_active),
            agent.role or "agent",
        )

    def is_online(self, now: dt.datetime, window_seconds: int) -> bool:
        return (
            self.is_active
            and self.status == "online"
            and self.last_seen is not None
            and self.last_seen >= now - dt.timedelta(seconds=window_seconds)
        )

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["last_seen"] = _iso(self.last_seen)
        return data


@dataclass(frozen=True)
class TicketView:
    id: int
    conversation_id: str
    channel: str
    language: str
    reason: str
    state: str
    resolution: Optional[str]
    created_at: dt.datetime
    assigned_at: Optional[dt.datetime]
    resolved_at: Optional[dt.datetime]
    agent_id: Optional[int]
    agent_name: Optional[str]
    last_customer_message_at: Optional[dt.datetime]
    last_message: Optional[str]
    summary: Optional[str]
    rating: Optional[int]
    rated_at: Optional[dt.datetime]
    released_at: Optional[dt.datetime] = None

    @classmethod
    def of(cls, ticket: Ticket) -> "TicketView":
        return cls(
            id=ticket.id,
            conversation_id=ticket.conversation_id,
            channel=ticket.channel or "",
            language=ticket.language or "bn",
            reason=ticket.reason,
            state=ticket.state,
            resolution=ticket.resolution,
            created_at=ticket.created_at,
            assigned_at=ticket.assigned_at,
            resolved_at=ticket.resolved_at,
            agent_id=ticket.agent_id,
            agent_name=ticket.agent.display_name if ticket.agent is not None else None,
            last_customer_message_at=ticket.last_customer_message_at,
            last_message=ticket.last_message,
            summary=ticket.summary,
            rating=ticket.rating,
            rated_at=ticket.rated_at,
            released_at=ticket.released_at,
        )

    @property
    def is_open(self) -> bool:
        return self.state in ("waiting", "assigned")

    def wait_seconds(self, now: dt.datetime) -> int:
        """How long the customer has waited for (or, once assigned, waited before) an agent."""
        end = self.assigned_at or self.resolved_at or now
        return max(0, int((end - self.created_at).total_seconds()))

    def to_json(self, now: Optional[dt.datetime] = None) -> Dict[str, Any]:
        data = asdict(self)
        for key in (
            "created_at",
            "assigned_at",
            "resolved_at",
            "last_customer_message_at",
            "rated_at",
            "released_at",
        ):
            data[key] = _iso(data[key])
        if now is not None:
            data["wait_seconds"] = self.wait_seconds(now)
            quiet_since = self.last_customer_message_at or self.created_at
            data["quiet_seconds"] = max(0, int((now - quiet_since).total_seconds()))
        return data
