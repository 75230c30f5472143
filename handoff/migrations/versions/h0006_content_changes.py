"""Content staff's changes from the console, and the review page's decisions.

``handoff_content_changes``: every change (a labelled message, an edited answer, a new FAQ,
an undo) with who made it, when, the operations on the data files (JSON, enough to undo it)
and the git commit. ``handoff_review_decisions``: one row per reviewed message text
(normalised), labelled or ignored, so it leaves the review queue and two staff cannot both
label it.

Revision ID: h0006
Revises: h0005
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "h0006"
down_revision = "h0005"
branch_labels = None
depends_on = None

# Frozen copies of the value lists at this revision.
KINDS = ("label", "ignore", "answer", "faq", "revert")
DECISIONS = ("labelled", "ignored")


def _one_of(column: str, values) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=column)


def upgrade() -> None:
    op.create_table(
        "handoff_content_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=True),
        sa.Column("commit_note", sa.Text(), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.Column("reverted_by_id", sa.Integer(), nullable=True),
        _one_of("kind", KINDS),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["handoff_agents.id"],
            name=op.f("fk_handoff_content_changes_agent_id_handoff_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reverts_id"],
            ["handoff_content_changes.id"],
            name=op.f("fk_handoff_content_changes_reverts_id_handoff_content_changes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reverted_by_id"],
            ["handoff_content_changes.id"],
            name=op.f("fk_handoff_content_changes_reverted_by_id_handoff_content_changes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_content_changes")),
    )
    op.create_index(
        op.f("ix_handoff_content_changes_agent_id"), "handoff_content_changes", ["agent_id"]
    )
    op.create_index(
        op.f("ix_handoff_content_changes_created_at"), "handoff_content_changes", ["created_at"]
    )
    op.create_table(
        "handoff_review_decisions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        _one_of("decision", DECISIONS),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["handoff_agents.id"],
            name=op.f("fk_handoff_review_decisions_agent_id_handoff_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["handoff_content_changes.id"],
            name=op.f("fk_handoff_review_decisions_change_id_handoff_content_changes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_handoff_review_decisions")),
    )


def downgrade() -> None:
    op.drop_table("handoff_review_decisions")
    op.drop_index(
        op.f("ix_handoff_content_changes_created_at"), table_name="handoff_content_changes"
    )
    op.drop_index(op.f("ix_handoff_content_changes_agent_id"), table_name="handoff_content_changes")
    op.drop_table("handoff_content_changes")
