"""Order checks: attempts, locks and the per-order guard row (seba/verification.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "verification_guards",
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("order_number", name=op.f("pk_verification_guards")),
    )
    op.create_table(
        "verification_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("phone_key", sa.String(length=32), nullable=False),
        sa.Column("phone_masked", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_attempts")),
    )
    for column in ("created_at", "order_number", "phone_key", "conversation_id"):
        _index("verification_attempts", column)
    op.create_table(
        "verification_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=32), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_locks")),
    )
    _index("verification_locks", "order_number")


def downgrade() -> None:
    op.drop_table("verification_locks")
    for column in ("created_at", "order_number", "phone_key", "conversation_id"):
        op.drop_index(op.f(f"ix_verification_attempts_{column}"), "verification_attempts")
    op.drop_table("verification_attempts")
    op.drop_table("verification_guards")
