"""The handoff tables. Schema changes go through a migration in ``handoff/migrations``
(its own Alembic history and version table, ``handoff_alembic_version``).

Tickets move waiting -> assigned -> resolved; a waiting ticket whose customer went quiet
becomes abandoned. "Open" means waiting or assigned: a conversation has at most one open
ticket (checked in ``handoff.queue`` and enforced by the partial unique index
``uq_handoff_tickets_open_conversation``; SQLite >= 3.8 and PostgreSQL both have partial indexes).
"""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from handoff.db import local_now

AGENT_STATUSES = ("online", "away")
#: What a console account may do (handoff/console/roles.py): agents help customers (queue,
#: conversations, order locks), content staff edit what the bot says, the owner does all.
ROLES = ("agent", "content", "owner")
REASONS = (
    "customer_request",
    "low_confidence",
    "repeated_failure",
    "complaint",
    "verification_failed",
    "verification_locked",
)
STATES = ("waiting", "assigned", "resolved", "abandoned")
OPEN_STATES = ("waiting", "assigned")
RESOLUTIONS = ("resolved", "handed_back", "abandoned")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

OPEN_STATES_SQL = "state IN ('waiting', 'assigned')"


def one_of(column: str, values) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class Agent(Base):
    __tablename__ = "handoff_agents"
    __table_args__ = (one_of("status", AGENT_STATUSES), one_of("role", ROLES))

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)  # stored lower-case
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)  # scrypt$n$r$p$salt$hash
    status = Column(String(10), nullable=False, default="away")
    last_seen = Column(DateTime)  # last console activity; online = status online + seen < 2 min
    is_active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=local_now)
    role = Column(String(10), nullable=False, default="agent", server_default="agent")

    def __repr__(self) -> str:
        return f"<Agent {self.id} {self.username} {self.role}>"


class Ticket(Base):
    __tablename__ = "handoff_tickets"
    __table_args__ = (
        one_of("state", STATES),
        one_of("reason", REASONS),
        CheckConstraint(
            "resolution IS NULL OR resolution IN ('resolved', 'handed_back', 'abandoned')",
            name="resolution",
        ),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        # FIFO: the oldest waiting ticket first.
        Index("ix_handoff_tickets_state_created", "state", "created_at"),
        # At most one open ticket per conversation.
        Index(
            "uq_handoff_tickets_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)  # Rasa's sender id
    channel = Column(String(40), nullable=False, default="")  # latest input channel
    language = Column(String(8), nullable=False, default="bn")  # bn / en
    reason = Column(String(30), nullable=False)
    state = Column(String(10), nullable=False, default="waiting")
    resolution = Column(String(12))
    created_at = Column(DateTime, nullable=False, default=local_now)
    assigned_at = Column(DateTime)
    resolved_at = Column(DateTime)  # when it was closed (resolved, handed back or abandoned)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"), index=True)
    last_customer_message_at = Column(DateTime)
    last_message = Column(Text)  # the customer's latest message, shown in the queue
    summary = Column(Text)  # what the bot knew (e.g. "order 10456, wants a return")
    released_at = Column(DateTime)  # abandoned: when the bot got the conversation back
    rating = Column(Integer)  # 1-5, the customer's rating after the agent's help
    rated_at = Column(DateTime)

    agent = relationship(Agent, lazy="joined")

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.conversation_id} {self.state}>"


class AgentSession(Base):
    """A console login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "handoff_agent_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(
        Integer, ForeignKey("handoff_agents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=local_now)
    expires_at = Column(DateTime, nullable=False)  # absolute end (one shift after login)
    last_seen_at = Column(DateTime)  # last request (idle timeout); None: not since login

    agent = relationship(Agent, lazy="joined")


class LoginFailure(Base):
    """A failed console login, counted per throttle key (handoff/console/throttle.py).

    One row per key and failure: ``account:<username>``, ``address:<client address>`` or
    ``device:<username>:<device id>``. In the database, so the count survives restarts and
    holds across several console processes; rows older than the window are deleted."""

    __tablename__ = "handoff_login_failures"
    __table_args__ = (Index("ix_handoff_login_failures_key_created", "throttle_key", "created_at"),)

    id = Column(Integer, primary_key=True)
    throttle_key = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False, index=True)


class BotRating(Base):
    """A rating for a conversation the bot handled alone."""

    __tablename__ = "handoff_bot_ratings"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    rating = Column(Integer, nullable=False)
    created_at = Column(DateTime, nullable=False, default=local_now)


# --- content staff's changes (seba/content/changes.py, the console's content pages) ----------

CHANGE_KINDS = ("label", "ignore", "answer", "faq", "revert")
DECISIONS = ("labelled", "ignored")


class ContentChange(Base):
    """One change content staff made from the console: who, when, what (in words and as
    the operations on the data files, JSON), the git commit if there was one, and whether
    it was undone (``reverted_by_id``) or undoes another (``reverts_id``)."""

    __tablename__ = "handoff_content_changes"
    __table_args__ = (one_of("kind", CHANGE_KINDS),)

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=local_now, index=True)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"), index=True)
    username = Column(String(64), nullable=False)  # as they were at the time of the change
    author = Column(String(120), nullable=False)
    kind = Column(String(10), nullable=False)
    summary = Column(Text, nullable=False)
    operations = Column(Text, nullable=False)  # JSON list of {"op": ..., ...}
    files = Column(Text, nullable=False)  # JSON list of the data files it changed
    commit = Column(String(40))  # git commit id, when the project is a git repository
    commit_note = Column(Text)  # why there is no commit (no repository, git failed, ...)
    reverts_id = Column(Integer, ForeignKey("handoff_content_changes.id", ondelete="SET NULL"))
    reverted_by_id = Column(Integer, ForeignKey("handoff_content_changes.id", ondelete="SET NULL"))


class ReviewDecision(Base):
    """A message of the review page that was labelled or ignored, by the normalised text it
    stands for (``seba.content.review_queue``): one decision per text, so two staff labelling
    the same message at once cannot both write it. Undoing the change deletes the row."""

    __tablename__ = "handoff_review_decisions"
    __table_args__ = (one_of("decision", DECISIONS),)

    key = Column(String(64), primary_key=True)  # sha256 of the normalised text
    text = Column(Text, nullable=False)  # the message as it was shown (cleaned)
    decision = Column(String(10), nullable=False)
    label = Column(String(120))  # the intent or faq/<key> it was written under
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"))
    author = Column(String(120), nullable=False)
    created_at = Column(DateTime, nullable=False, default=local_now)
    change_id = Column(Integer, ForeignKey("handoff_content_changes.id", ondelete="SET NULL"))


# --- private notes beside a conversation (the console's customer panel; issue 13) ----------

NOTE_KINDS = ("agent", "delivery_time")


class CustomerNote(Base):
    """A private note the customer never sees: an agent's (``agent``), or what a customer
    answered to a failed delivery attempt (``delivery_time``, written by the bot for the
    shop to pass on to the courier). ``customer_id`` is the shop database's customer id when
    the conversation is linked to one (no foreign key: the two databases may be apart)."""

    __tablename__ = "handoff_customer_notes"
    __table_args__ = (one_of("kind", NOTE_KINDS),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    customer_id = Column(Integer, index=True)
    kind = Column(String(20), nullable=False, default="agent")
    body = Column(Text, nullable=False)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"))
    author = Column(String(120), nullable=False)  # an agent's name, or "Seba"
    order_number = Column(String(32))
    created_at = Column(DateTime, nullable=False, default=local_now, index=True)
