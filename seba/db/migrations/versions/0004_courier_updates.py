"""Courier updates and what the customer hears of them; channel identities (returning
customers, STOP to order updates).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of the value lists at this revision.
STAGES = (
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed_attempt",
    "returned",
)
NOTICE_KINDS = ("stage", "delivered_check", "failed_attempt")
NOTICE_STATES = ("pending", "waiting", "sent", "skipped", "failed")


def _one_of(column: str, values, table: str) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("courier_stage", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("courier_stage_at", sa.DateTime(), nullable=True))
        batch.create_check_constraint(
            "courier_stage", "courier_stage IN (%s)" % ", ".join(f"'{s}'" for s in STAGES)
        )
    # Courier webhooks find the order by its tracking code.
    op.create_index(op.f("ix_orders_tracking_code"), "orders", ["tracking_code"])

    op.create_table(
        "courier_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(length=20), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("tracking_code", sa.String(length=60), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("raw_status", sa.String(length=80), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_events")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_courier_events_order_id_orders")
        ),
        sa.UniqueConstraint(
            "courier", "event_key", name=op.f("uq_courier_events_courier_event_key")
        ),
        _one_of("stage", STAGES, "courier_events"),
    )
    op.create_index(op.f("ix_courier_events_tracking_code"), "courier_events", ["tracking_code"])
    op.create_index(op.f("ix_courier_events_order_id"), "courier_events", ["order_id"])

    op.create_table(
        "order_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("courier_event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_notices")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_notices_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["courier_event_id"],
            ["courier_events.id"],
            name=op.f("fk_order_notices_courier_event_id_courier_events"),
        ),
        sa.UniqueConstraint(
            "courier_event_id", "kind", name=op.f("uq_order_notices_courier_event_id")
        ),
        _one_of("kind", NOTICE_KINDS, "order_notices"),
        _one_of("state", NOTICE_STATES, "order_notices"),
    )
    op.create_index(op.f("ix_order_notices_order_id"), "order_notices", ["order_id"])
    op.create_index(op.f("ix_order_notices_conversation_id"), "order_notices", ["conversation_id"])
    op.create_index("ix_order_notices_state_id", "order_notices", ["state", "id"])

    op.create_table(
        "channel_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=True),
        sa.Column("linked_order_number", sa.String(length=32), nullable=True),
        sa.Column("notices_stopped_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_identities")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_channel_identities_customer_id_customers"),
        ),
    )
    op.create_index(
        op.f("ix_channel_identities_conversation_id"),
        "channel_identities",
        ["conversation_id"],
        unique=True,
    )
    op.create_index(
        op.f("ix_channel_identities_customer_id"), "channel_identities", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_table("channel_identities")
    op.drop_index("ix_order_notices_state_id", "order_notices")
    op.drop_table("order_notices")
    op.drop_table("courier_events")
    op.drop_index(op.f("ix_orders_tracking_code"), "orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint("courier_stage", type_="check")
        batch.drop_column("courier_stage_at")
        batch.drop_column("courier_stage")
