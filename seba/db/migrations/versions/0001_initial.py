"""Initial schema: customers, products, orders, order items, return requests, refunds.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the value lists at this revision (models.py may grow them later,
# with a new migration).
AREAS = ("inside_dhaka", "outside_dhaka")
ORDER_STATUSES = (
    "placed",
    "confirmed",
    "packed",
    "shipped",
    "out_for_delivery",
    "delivered",
    "cancelled",
    "returned",
)
COURIERS = ("Pathao", "Steadfast", "RedX", "Paperfly", "Sundarban")
PAYMENT_METHODS = ("cod", "bkash", "nagad", "card")
PAYMENT_STATUSES = ("pending", "paid", "refunded", "refund_pending")
RETURN_REASONS = ("wrong_size_or_colour", "damaged", "not_as_described", "changed_mind")
RETURN_STATUSES = ("requested", "approved", "picked_up", "received", "refunded", "rejected")
REFUND_METHODS = ("bkash", "nagad", "card", "bank")
REFUND_STATUSES = ("pending", "processing", "completed")


def _one_of(table: str, column: str, values) -> sa.CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=op.f(f"ck_{table}_{column}"))


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def _index(table: str, column: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _pk("customers"),
        _one_of("customers", "area", AREAS),
    )
    _index("customers", "phone")

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("name_bn", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("keywords", sa.String(length=500), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("colour_bn", sa.String(length=40), nullable=True),
        sa.Column("colour_en", sa.String(length=40), nullable=True),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("returnable", sa.Boolean(), nullable=False),
        sa.Column("sizes", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _pk("products"),
        sa.CheckConstraint("price >= 0", name=op.f("ck_products_price")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_products_stock")),
    )
    _index("products", "sku", unique=True)
    _index("products", "category")

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=7), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("delivery_area", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("courier", sa.String(length=20), nullable=True),
        sa.Column("tracking_code", sa.String(length=40), nullable=True),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("payment_status", sa.String(length=20), nullable=False),
        sa.Column("subtotal", sa.Integer(), nullable=False),
        sa.Column("delivery_charge", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("packed_at", sa.DateTime(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("expected_delivery", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _pk("orders"),
        _fk("orders", "customer_id", "customers"),
        _one_of("orders", "status", ORDER_STATUSES),
        _one_of("orders", "delivery_area", AREAS),
        _one_of("orders", "courier", COURIERS),
        _one_of("orders", "payment_method", PAYMENT_METHODS),
        _one_of("orders", "payment_status", PAYMENT_STATUSES),
    )
    _index("orders", "number", unique=True)
    _index("orders", "customer_id")
    _index("orders", "phone")
    _index("orders", "status")

    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=True),
        sa.Column("colour", sa.String(length=40), nullable=True),
        _pk("order_items"),
        _fk("order_items", "order_id", "orders"),
        _fk("order_items", "product_id", "products"),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_items_quantity")),
    )
    _index("order_items", "order_id")
    _index("order_items", "product_id")

    op.create_table(
        "return_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _pk("return_requests"),
        _fk("return_requests", "order_id", "orders"),
        _one_of("return_requests", "reason", RETURN_REASONS),
        _one_of("return_requests", "status", RETURN_STATUSES),
    )
    _index("return_requests", "reference", unique=True)
    _index("return_requests", "order_id")

    op.create_table(
        "refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("return_request_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expected_by", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        _pk("refunds"),
        _fk("refunds", "order_id", "orders"),
        _fk("refunds", "return_request_id", "return_requests"),
        _one_of("refunds", "method", REFUND_METHODS),
        _one_of("refunds", "status", REFUND_STATUSES),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount")),
    )
    _index("refunds", "order_id")
    _index("refunds", "return_request_id")


def downgrade() -> None:
    for table in ("refunds", "return_requests", "order_items", "orders", "products", "customers"):
        op.drop_table(table)
