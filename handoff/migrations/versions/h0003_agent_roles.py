"""Agents: a role per console account (``agent``, ``content`` or ``owner``).

Existing accounts become ``agent`` (what every account could do before).

Revision ID: h0003
Revises: h0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "h0003"
down_revision = "h0002"
branch_labels = None
depends_on = None

# A frozen copy of the value list at this revision.
ROLES = ("agent", "content", "owner")


def upgrade() -> None:
    quoted = ", ".join(f"'{r}'" for r in ROLES)
    # Batch mode: SQLite cannot add a CHECK constraint to an existing table (it is copied).
    with op.batch_alter_table("handoff_agents") as batch:
        batch.add_column(
            sa.Column(
                "role",
                sa.String(length=10),
                nullable=False,
                server_default="agent",
            )
        )
        batch.create_check_constraint("role", f"role IN ({quoted})")


def downgrade() -> None:
    with op.batch_alter_table("handoff_agents") as batch:
        batch.drop_constraint(op.f("ck_handoff_agents_role"), type_="check")
        batch.drop_column("role")
