"""Tickets: a new hand-over reason, ``verification_locked`` (the order was locked for
self-service after too many failed checks; seba/verification.py).

Revision ID: h0002
Revises: h0001
Create Date: 2026-12-01
"""

from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None

OLD_REASONS = (
    "customer_request",
    "low_confidence",
    "repeated_failure",
    "complaint",
    "verification_failed",
)
NEW_REASONS = OLD_REASONS + ("verification_locked",)


def _set_reasons(reasons) -> None:
    quoted = ", ".join(f"'{r}'" for r in reasons)
    # Batch mode: SQLite cannot alter a CHECK constraint in place (the table is copied).
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.drop_constraint(op.f("ck_handoff_tickets_reason"), type_="check")
        batch.create_check_constraint(op.f("ck_handoff_tickets_reason"), f"reason IN ({quoted})")


def upgrade() -> None:
    _set_reasons(NEW_REASONS)


def downgrade() -> None:
    op.execute(
        "UPDATE handoff_tickets SET reason = 'verification_failed' "
        "WHERE reason = 'verification_locked'"
    )
    _set_reasons(OLD_REASONS)
