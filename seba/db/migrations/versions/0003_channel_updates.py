"""Durable intake: Telegram updates and Messenger events stored before they are acknowledged
(channels/intake.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_updates")),
        sa.UniqueConstraint(
            "channel", "external_id", name=op.f("uq_channel_updates_channel_external_id")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'processing', 'done')", name=op.f("ck_channel_updates_state")
        ),
    )
    op.create_index(
        op.f("ix_channel_updates_conversation_id"), "channel_updates", ["conversation_id"]
    )
    op.create_index("ix_channel_updates_state_id", "channel_updates", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_channel_updates_state_id", "channel_updates")
    op.drop_index(op.f("ix_channel_updates_conversation_id"), "channel_updates")
    op.drop_table("channel_updates")
