"""The shop's tables. Schema changes go through an Alembic migration (seba/db/migrations)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from seba.db import local_now

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
AREAS = ("inside_dhaka", "outside_dhaka")
COURIERS = ("Pathao", "Steadfast", "RedX", "Paperfly", "Sundarban")
#: A parcel's life as the couriers report it (couriers/*.py map their own statuses onto these).
COURIER_STAGES = (
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "failed_attempt",
    "returned",
)
PAYMENT_METHODS = ("cod", "bkash", "nagad", "card")
PAYMENT_STATUSES = ("pending", "paid", "refunded", "refund_pending")
RETURN_REASONS = ("wrong_size_or_colour", "damaged", "not_as_described", "changed_mind")
RETURN_STATUSES = ("requested", "approved", "picked_up", "received", "refunded", "rejected")
REFUND_METHODS = ("bkash", "nagad", "card", "bank")
REFUND_STATUSES = ("pending", "processing", "completed")

# Named constraints: Alembic's batch mode on SQLite needs names to alter tables later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def one_of(column: str, values) -> CheckConstraint:
    """CHECK (column IN (...)), named ck_<table>_<column>."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (one_of("area", AREAS),)

    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False)
    phone = Column(String(11), nullable=False, index=True)  # 01XXXXXXXXX
    email = Column(String(200))
    address = Column(String(300))
    area = Column(String(20), nullable=False, default="inside_dhaka")
    created_at = Column(DateTime, nullable=False, default=local_now)

    orders = relationship("Order", back_populates="customer", order_by="Order.placed_at")

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.phone}>"


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint("stock >= 0", name="stock"),
    )

    id = Column(Integer, primary_key=True)
    sku = Column(String(40), nullable=False, unique=True, index=True)
    name_bn = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)
    # Comma-separated extra spellings (Bangla variants, Banglish): "borka,borkha,burka,abaya".
    keywords = Column(String(500), nullable=False, default="")
    category = Column(String(40), nullable=False, index=True)
    colour_bn = Column(String(40))
    colour_en = Column(String(40))
    price = Column(Integer, nullable=False)  # BDT
    stock = Column(Integer, nullable=False, default=0)
    # Derived from shop.yml non_returnable_categories when the product is added, then stored
    # so that a single product can be made an exception.
    returnable = Column(Boolean, nullable=False, default=True)
    sizes = Column(String(100))  # "S,M,L,XL"
    created_at = Column(DateTime, nullable=False, default=local_now)
    updated_at = Column(DateTime, nullable=False, default=local_now, onupdate=local_now)

    @property
    def keyword_list(self) -> list:
        return [k.strip() for k in (self.keywords or "").split(",") if k.strip()]

    @property
    def in_stock(self) -> bool:
        return (self.stock or 0) > 0

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_bn

    def __repr__(self) -> str:
        return f"<Product {self.sku} {self.name_en!r}>"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        one_of("status", ORDER_STATUSES),
        one_of("courier_stage", COURIER_STAGES),
        one_of("delivery_area", AREAS),
        one_of("courier", COURIERS),
        one_of("payment_method", PAYMENT_METHODS),
        one_of("payment_status", PAYMENT_STATUSES),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(7), nullable=False, unique=True, index=True)  # 5-7 digits
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    phone = Column(String(11), nullable=False, index=True)  # the phone given with the order
    delivery_area = Column(String(20), nullable=False)
    address = Column(String(300), nullable=False)
    status = Column(String(20), nullable=False, default="placed", index=True)
    courier = Column(String(20))
    tracking_code = Column(String(40), index=True)  # courier webhooks find orders by it
    payment_method = Column(String(10), nullable=False, default="cod")
    payment_status = Column(String(20), nullable=False, default="pending")
    subtotal = Column(Integer, nullable=False)
    delivery_charge = Column(Integer, nullable=False)
    total = Column(Integer, nullable=False)
    placed_at = Column(DateTime, nullable=False, default=local_now)
    confirmed_at = Column(DateTime)
    packed_at = Column(DateTime)
    shipped_at = Column(DateTime)
    delivered_at = Column(DateTime)
    cancelled_at = Column(DateTime)
    expected_delivery = Column(Date)
    # The courier's last word on the parcel (couriers/): one of COURIER_STAGES, and when the
    # courier said it (out-of-order events older than this do not move it back).
    courier_stage = Column(String(20))
    courier_stage_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False, default=local_now, onupdate=local_now)

    customer = relationship("Customer", back_populates="orders")
    items = relationship(
        "OrderItem", back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    return_requests = relationship(
        "ReturnRequest",
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="ReturnRequest.id",
    )
    refunds = relationship(
        "Refund", back_populates="order", cascade="all, delete-orphan", order_by="Refund.id"
    )

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(Integer, ForeignKey("products.id"), nullable=False, index=True)
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Integer, nullable=False)  # BDT at the time of the order
    size = Column(String(10))
    colour = Column(String(40))

    order = relationship("Order", back_populates="items")
    product = relationship("Product")

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_price


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    __table_args__ = (one_of("reason", RETURN_REASONS), one_of("status", RETURN_STATUSES))

    id = Column(Integer, primary_key=True)
    reference = Column(String(30), nullable=False, unique=True, index=True)  # RT-10457-1
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    reason = Column(String(30), nullable=False)
    details = Column(Text)
    status = Column(String(20), nullable=False, default="requested")
    sender_id = Column(String(255))  # Rasa conversation id
    channel = Column(String(40))
    created_at = Column(DateTime, nullable=False, default=local_now)
    updated_at = Column(DateTime, nullable=False, default=local_now, onupdate=local_now)

    order = relationship("Order", back_populates="return_requests")
    refunds = relationship("Refund", back_populates="return_request")

    def __repr__(self) -> str:
        return f"<ReturnRequest {self.reference} {self.status}>"


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        one_of("method", REFUND_METHODS),
        one_of("status", REFUND_STATUSES),
        CheckConstraint("amount > 0", name="amount"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    return_request_id = Column(Integer, ForeignKey("return_requests.id"), index=True)
    amount = Column(Integer, nullable=False)  # BDT
    method = Column(String(10), nullable=False)
    account = Column(String(40))  # masked, e.g. 017•••••001
    status = Column(String(20), nullable=False, default="pending")
    created_at = Column(DateTime, nullable=False, default=local_now)
    expected_by = Column(Date)
    completed_at = Column(DateTime)

    order = relationship("Order", back_populates="refunds")
    return_request = relationship("ReturnRequest", back_populates="refunds")

    def __repr__(self) -> str:
        return f"<Refund {self.id} {self.amount} {self.status}>"


# --- order checks (seba/verification.py) --------------------------------------------------
# Every order check (order number + phone) is recorded, so that limits hold across sessions,
# conversations, channels and restarts. Phones are stored as a keyed hash (for counting) and
# masked (for agents): a failed check may carry someone else's number.


class VerificationGuard(Base):
    """One row per order number checked: its row lock serialises racing checks of one order."""

    __tablename__ = "verification_guards"

    order_number = Column(String(32), primary_key=True)


class VerificationAttempt(Base):
    __tablename__ = "verification_attempts"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, default=local_now, index=True)
    order_number = Column(String(32), nullable=False, index=True)
    phone_key = Column(String(32), nullable=False, index=True)  # HMAC of the phone
    phone_masked = Column(String(16), nullable=False)  # 017•••••001
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(40))
    succeeded = Column(Boolean, nullable=False)


class VerificationLock(Base):
    """An order locked for self-service after too many failed checks (agents can lift it)."""

    __tablename__ = "verification_locks"

    id = Column(Integer, primary_key=True)
    order_number = Column(String(32), nullable=False, index=True)
    locked_at = Column(DateTime, nullable=False, default=local_now)
    expires_at = Column(DateTime, nullable=False)
    failures = Column(Integer, nullable=False)
    conversation_id = Column(String(255))  # the conversation whose failure locked it
    lifted_at = Column(DateTime)
    lifted_by = Column(String(120))


# --- durable intake of platform webhooks (channels/intake.py) ----------------------------------

INTAKE_STATES = ("pending", "processing", "done")


class ChannelUpdate(Base):
    """A Telegram update or Messenger event, stored before the platform got its 200."""

    __tablename__ = "channel_updates"
    __table_args__ = (
        one_of("state", INTAKE_STATES),
        # A redelivery has the same platform id: stored (and answered) once.
        UniqueConstraint("channel", "external_id", name="uq_channel_updates_channel_external_id"),
        Index("ix_channel_updates_state_id", "state", "id"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(120), nullable=False)  # update_id / message id
    conversation_id = Column(String(255), nullable=False, index=True)
    payload = Column(Text, nullable=False)  # JSON, what the connector needs to handle it
    received_at = Column(DateTime, nullable=False, default=local_now)
    state = Column(String(12), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    lease_until = Column(DateTime)  # while processing: reclaimable after this
    done_at = Column(DateTime)


# --- courier updates (couriers/) and what the customer hears of them (issue 13) ------------


class CourierEvent(Base):
    """One status call from a courier's webhook, stored before the courier gets its answer.

    ``event_key`` is what makes a redelivery the same event (the courier's own event id where
    it sends one, else a digest of tracking code + status + time): stored once per courier.
    ``order_id`` is empty for a tracking number that is not ours (kept, for the shop to see).
    ``applied`` says whether it moved the order (an older, out-of-order event does not)."""

    __tablename__ = "courier_events"
    __table_args__ = (
        one_of("stage", COURIER_STAGES),
        UniqueConstraint("courier", "event_key", name="uq_courier_events_courier_event_key"),
    )

    id = Column(Integer, primary_key=True)
    courier = Column(String(20), nullable=False)  # "pathao", "steadfast", "redx"
    event_key = Column(String(120), nullable=False)
    tracking_code = Column(String(60), nullable=False, index=True)
    order_id = Column(Integer, ForeignKey("orders.id"), index=True)
    raw_status = Column(String(80), nullable=False)  # the courier's own word
    stage = Column(String(20))  # None: a status the customer need not hear about
    message = Column(Text)  # the courier's note (RedX sends one in Bangla)
    occurred_at = Column(DateTime)  # the courier's time, when it sends one
    received_at = Column(DateTime, nullable=False, default=local_now)
    payload = Column(Text, nullable=False)  # the body as received (JSON text)
    applied = Column(Boolean, nullable=False, default=False)

    order = relationship("Order")


NOTICE_KINDS = ("stage", "delivered_check", "failed_attempt")
NOTICE_STATES = ("pending", "waiting", "sent", "skipped", "failed")


class OrderNotice(Base):
    """A message the customer should get about their order (an outbox row).

    Written in the same transaction as the courier event that caused it; delivered through
    Rasa to the conversation that proved the order theirs. ``waiting``: not deliverable yet
    (a web visitor who is not connected; Messenger outside its window) — ``reason`` says why.
    ``skipped``: never sent (opted out, no conversation to reach)."""

    __tablename__ = "order_notices"
    __table_args__ = (
        one_of("kind", NOTICE_KINDS),
        one_of("state", NOTICE_STATES),
        UniqueConstraint("courier_event_id", "kind", name="uq_order_notices_courier_event_id"),
        Index("ix_order_notices_state_id", "state", "id"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    courier_event_id = Column(Integer, ForeignKey("courier_events.id"))
    kind = Column(String(20), nullable=False, default="stage")
    stage = Column(String(20))
    conversation_id = Column(String(255), index=True)  # where it goes (channel-prefixed id)
    channel = Column(String(40))
    state = Column(String(12), nullable=False, default="pending")
    reason = Column(String(60))
    attempts = Column(Integer, nullable=False, default=0)
    lease_until = Column(DateTime)
    due_at = Column(DateTime)  # not before (e.g. the "received it?" check after delivery)
    created_at = Column(DateTime, nullable=False, default=local_now)
    sent_at = Column(DateTime)

    order = relationship("Order")
    courier_event = relationship("CourierEvent")


class ChannelIdentity(Base):
    """What the shop knows of one channel identity (a channel-prefixed conversation id).

    ``customer_id`` is set after a successful order check on a channel whose identities the
    platform proves (Telegram, Messenger); on the web only for that session's conversation id.
    ``notices_stopped_at`` set: the customer said STOP to order updates (cleared by START)."""

    __tablename__ = "channel_identities"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, unique=True, index=True)
    channel = Column(String(40), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id"), index=True)
    linked_at = Column(DateTime)
    linked_order_number = Column(String(32))
    notices_stopped_at = Column(DateTime)
    created_at = Column(DateTime, nullable=False, default=local_now)
    updated_at = Column(DateTime, nullable=False, default=local_now, onupdate=local_now)

    customer = relationship("Customer")
