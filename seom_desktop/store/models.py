"""The store data file's tables (SQLAlchemy 2 declarative models).

Every schema change goes through an Alembic migration in ``store/migrations``; these models
describe the newest schema and must agree with the newest migration (a test checks it).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time in the store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def local_time(moment: datetime) -> datetime:
    """A store time in this PC's time zone, for display."""
    return as_utc(moment).astimezone()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StackStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BYPASSED = "bypassed"


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    # Only inventory.changes.apply_change writes this column, with SQL arithmetic.
    qoh: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    is_kit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    web_fields: Mapped[list[WebField]] = relationship(back_populates="product")


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    platform: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500), default="")
    username: Mapped[str] = mapped_column(String(255), default="")
    # Stored as typed by the clerk: every workstation must be able to use it. Never printed.
    secret: Mapped[str] = mapped_column(String(500), default="")
    # JSON object of platform options (``{"location_id": "...", "allow_http": "true"}``).
    options: Mapped[str] = mapped_column(Text, default="{}")
    sync_inventory: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    order_download_batch: Mapped[int] = mapped_column(Integer, default=50)
    max_items_per_send: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebField(Base):
    """How one cart knows one product. No row means: same SKU, synchronized."""

    __tablename__ = "web_fields"
    __table_args__ = (UniqueConstraint("product_id", "cart_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    cart_sku: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sync_qoh: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="web_fields")


class SystemParameter(Base):
    """A stored value; the declaration (type, default, group) lives in store/params.py."""

    __tablename__ = "system_parameters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Workstation(Base):
    __tablename__ = "workstations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Pause sending on this PC (the Stack Controller's Pause / Resume)."""


class LedgerEntry(Base):
    """One row per QOH change: the inventory ledger."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_product_id_id", "product_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    workstation: Mapped[str] = mapped_column(String(100))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    sku: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(255), default="")
    document: Mapped[str | None] = mapped_column(String(100), nullable=True)
    origin_cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("carts.id", ondelete="SET NULL"), nullable=True
    )
    send_to_web: Mapped[bool] = mapped_column(Boolean, default=True)
    qoh_before: Mapped[int] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)
    qoh_after: Mapped[int] = mapped_column(Integer)


class StackRow(Base):
    """One QOH change that one cart must hear of: the web stack."""

    __tablename__ = "web_stack"
    __table_args__ = (
        Index("ix_web_stack_status_cart_id_id", "status", "cart_id", "id"),
        Index("ix_web_stack_origin_workstation_status", "origin_workstation", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    cart_sku: Mapped[str] = mapped_column(String(100))
    delta: Mapped[int] = mapped_column(Integer)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledger.id", ondelete="CASCADE"))
    origin_workstation: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_response: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=StackStatus.PENDING.value)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    send_id: Mapped[int | None] = mapped_column(
        ForeignKey("stack_sends.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The send carrying this row now or, once sent, the send that carried it."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """After a failed attempt: not before this time (exponential backoff, Retry-After)."""


class SendState(enum.StrEnum):
    SENDING = "sending"
    """Claimed by a controller, request under way (or the controller died during it)."""
    CONFIRMED = "confirmed"
    FAILED = "failed"
    """The cart refused or could not be reached; nothing was applied."""
    IN_DOUBT = "in doubt"
    """The request went out and no answer came back: it may have been applied."""


class StackSend(Base):
    """One request to a cart carrying (coalesced) stack rows. Its payload is kept so that a
    send whose answer was lost is repeated exactly, with the same idempotency keys."""

    __tablename__ = "stack_sends"
    __table_args__ = (Index("ix_stack_sends_cart_id_state", "cart_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    controller: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=SendState.SENDING.value)
    kind: Mapped[str] = mapped_column(String(10))
    """"delta" (amounts to add) or "set" (absolute quantities, read-then-set)."""
    payload: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_response: Mapped[str] = mapped_column(Text, default="")


class StackControllerProcess(Base):
    """A running stack controller (GUI thread or headless), with its heartbeat."""

    __tablename__ = "stack_controllers"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    workstation: Mapped[str] = mapped_column(String(100))
    hostname: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ControllerLease(Base):
    """Who may send for a scope: "shared" (the shared stack controller) or "local:<PC>"."""

    __tablename__ = "controller_leases"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    holder_workstation: Mapped[str] = mapped_column(String(100), default="")
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CartStock(Base):
    """The last QOH a cart reported for a product (answers, reads): what the controller
    compares with when it must establish whether a lost request was applied."""

    __tablename__ = "cart_stock"

    cart_id: Mapped[int] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), primary_key=True
    )
    cart_sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    qoh: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KitComponent(Base):
    """One component of a kit: selling the kit lowers each component by ``quantity`` per kit,
    and the kit's own QOH is derived from its components (``inventory/kits.py``)."""

    __tablename__ = "kit_components"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)

    kit_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class OrderKind(enum.StrEnum):
    IMPORTED = "imported"
    MANUAL = "manual"
    POS = "POS"


class OrderStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class Order(Base):
    """An order the store knows: imported from a cart, entered by a clerk, or a POS sale.
    ``id`` is the store's order number. An imported order is unique per cart and cart order
    number, so importing it twice (a retry, two workstations) can never lower QOH twice."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("cart_id", "cart_order_number", name="uq_orders_cart"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cart_id: Mapped[int | None] = mapped_column(
        ForeignKey("carts.id", ondelete="SET NULL"), nullable=True
    )
    cart_name: Mapped[str] = mapped_column(String(100), default="")
    cart_order_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.OPEN.value)
    workstation: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (Index("ix_order_lines_order", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), nullable=True
    )
    """None when the cart sold a SKU the store does not have (no QOH was changed)."""
    sku: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)


class PurchaseOrderStatus(enum.StrEnum):
    OPEN = "open"
    PARTIAL = "partly received"
    RECEIVED = "received"


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    """The PO number."""
    supplier: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=PurchaseOrderStatus.OPEN.value)
    workstation: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("po_id", "product_id", name="uq_purchase_order_lines_product"),
        CheckConstraint("received >= 0 AND received <= ordered", name="received_range"),
        CheckConstraint("ordered > 0", name="positive_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    po_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    sku: Mapped[str] = mapped_column(String(100))
    ordered: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
