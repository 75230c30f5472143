"""Private notes beside a conversation: agents' notes and customers' answers to a failed
delivery attempt (the console's customer panel).

Revision ID: h0007
Revises: h0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "h0007"
down_revision = "h0006"
branch_labels = None
depends_on = None

KINDS = ("agent", "delivery_time")  # frozen copy at this revision


def upgrade() -> None:
    quoted = ", ".join(f"'{k}'" for k in KINDS)
    op.create_table(
        "handoff_customer_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"kind IN ({quoted})", name=op.f("ck_handoff_customer_notes_kind")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["handoff_agents.id"],
            name=op.f("fk_handoff_customer_notes_agent_id_handoff_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_customer_notes")),
    )
    for column in ("conversation_id", "customer_id", "created_at"):
        op.create_index(
            op.f(f"ix_handoff_customer_notes_{column}"), "handoff_customer_notes", [column]
        )


def downgrade() -> None:
    for column in ("created_at", "customer_id", "conversation_id"):
        op.drop_index(
            op.f(f"ix_handoff_customer_notes_{column}"), table_name="handoff_customer_notes"
        )
    op.drop_table("handoff_customer_notes")
