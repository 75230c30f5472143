"""Tickets: when the bot got an abandoned conversation back (``released_at``).

The abandon sweep marks a quiet ticket abandoned, then resumes its Rasa conversation; if Rasa
is down, it tries again on every sweep until it worked (``queue.unreleased_abandoned``).
Tickets abandoned before this revision count as released.

Revision ID: h0005
Revises: h0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "h0005"
down_revision = "h0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.add_column(sa.Column("released_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE handoff_tickets SET released_at = resolved_at WHERE state = 'abandoned'")


def downgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.drop_column("released_at")
