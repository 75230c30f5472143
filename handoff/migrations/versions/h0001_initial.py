"""Handoff: agents, tickets, agent sessions, bot ratings.

Revision ID: h0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the value lists at this revision.
AGENT_STATUSES = ("online", "away")
REASONS = (
    "customer_request",
    "low_confidence",
    "repeated_failure",
    "complaint",
    "verification_failed",
)
STATES = ("waiting", "assigned", "resolved", "abandoned")
OPEN_STATES_SQL = "state IN ('waiting', 'assigned')"


def _one_of(table: str, column: str, values) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=op.f(f"ck_{table}_{column}"))


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, referred: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{referred}.id"],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "handoff_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("handoff_agents"),
        _one_of("handoff_agents", "status", AGENT_STATUSES),
        sa.UniqueConstraint("username", name=op.f("uq_handoff_agents_username")),
    )

    op.create_table(
        "handoff_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("last_customer_message_at", sa.DateTime(), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        _pk("handoff_tickets"),
        _fk("handoff_tickets", "agent_id", "handoff_agents", "SET NULL"),
        _one_of("handoff_tickets", "state", STATES),
        _one_of("handoff_tickets", "reason", REASONS),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('resolved', 'handed_back', 'abandoned')",
            name=op.f("ck_handoff_tickets_resolution"),
        ),
        sa.CheckConstraint(
            "rating IS NULL OR (rating BETWEEN 1 AND 5)", name=op.f("ck_handoff_tickets_rating")
        ),
    )
    _index("handoff_tickets", "conversation_id")
    _index("handoff_tickets", "agent_id")
    op.create_index("ix_handoff_tickets_state_created", "handoff_tickets", ["state", "created_at"])
    # At most one open (waiting/assigned) ticket per conversation.
    op.create_index(
        "uq_handoff_tickets_open_conversation",
        "handoff_tickets",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_STATES_SQL),
        postgresql_where=sa.text(OPEN_STATES_SQL),
    )

    op.create_table(
        "handoff_agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        _pk("handoff_agent_sessions"),
        _fk("handoff_agent_sessions", "agent_id", "handoff_agents", "CASCADE"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_handoff_agent_sessions_token_hash")),
    )
    _index("handoff_agent_sessions", "agent_id")

    op.create_table(
        "handoff_bot_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("handoff_bot_ratings"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_handoff_bot_ratings_rating")),
    )
    _index("handoff_bot_ratings", "conversation_id")


def downgrade() -> None:
    op.drop_table("handoff_bot_ratings")
    op.drop_table("handoff_agent_sessions")
    op.drop_index("uq_handoff_tickets_open_conversation", table_name="handoff_tickets")
    op.drop_table("handoff_tickets")
    op.drop_table("handoff_agents")
