"""Console logins: failed attempts per throttle key, and when a session was last used.

``handoff_login_failures`` holds the failures the login throttle counts (so the count
survives restarts and holds across console processes); ``last_seen_at`` on
``handoff_agent_sessions`` is the idle timeout's clock.

Revision ID: h0004
Revises: h0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "h0004"
down_revision = "h0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("throttle_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_login_failures")),
    )
    op.create_index(
        "ix_handoff_login_failures_key_created",
        "handoff_login_failures",
        ["throttle_key", "created_at"],
    )
    op.create_index(
        op.f("ix_handoff_login_failures_created_at"),
        "handoff_login_failures",
        ["created_at"],
    )
    with op.batch_alter_table("handoff_agent_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoff_agent_sessions") as batch:
        batch.drop_column("last_seen_at")
    op.drop_index(op.f("ix_handoff_login_failures_created_at"), table_name="handoff_login_failures")
    op.drop_index("ix_handoff_login_failures_key_created", table_name="handoff_login_failures")
    op.drop_table("handoff_login_failures")
