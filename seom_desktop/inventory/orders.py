"""Orders: imported from a cart, entered by a clerk (phone, counter), or rung up at the POS.

Every order lowers QOH through :func:`~seom_desktop.inventory.changes.apply_change`, so the
carts hear of it through the web stack, except the cart the order came from (it lowered its own
stock when it took the order). Cancelling an order puts the stock back the same way.

An imported order is unique per cart and cart order number (a UNIQUE constraint, inserted with
ON CONFLICT DO NOTHING): importing it twice - a retry after a lost answer, an overlap of date
windows, two workstations importing at once - finds it already there and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from seom_desktop.carts.base import CartOrder
from seom_desktop.carts.platforms import platform
from seom_desktop.carts.registry import connector_for, connector_settings
from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.inventory.changes import (
    AppliedChange,
    QohChange,
    Source,
    apply_change,
    stack_rows_written,
)
from seom_desktop.inventory.lines import Line
from seom_desktop.store import carts as store_carts
from seom_desktop.store.carts import CartInfo
from seom_desktop.store.engine import Store
from seom_desktop.store.models import (
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    Product,
    WebField,
    utcnow,
)

log = logging.getLogger(__name__)

SOURCES = {
    OrderKind.IMPORTED: Source.IMPORTED_ORDER,
    OrderKind.MANUAL: Source.MANUAL_ORDER,
    OrderKind.POS: Source.POS_SALE,
}
_orders = cast(Table, Order.__table__)


@dataclass(frozen=True)
class PlacedOrder:
    number: int
    kind: OrderKind
    cart: str
    cart_order_number: str | None
    changes: tuple[AppliedChange, ...]
    unknown_skus: tuple[str, ...] = ()
    """Lines of an imported order whose SKU the store does not have (kept, QOH unchanged)."""

    @property
    def queued_rows(self) -> int:
        return stack_rows_written(self.changes)


def _insert_order(session: Session, values: dict[str, Any]) -> int | None:
    """The new order's number, or None when this cart's order is already in the store."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(_orders)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["cart_id", "cart_order_number"])
        .returning(_orders.c.id)
    )
    return cast(int | None, session.execute(stmt).scalar_one_or_none())


def place_order(
    session: Session,
    lines: Sequence[Line],
    workstation: str,
    *,
    kind: OrderKind,
    cart: CartInfo | None = None,
    cart_order_number: str | None = None,
) -> PlacedOrder | None:
    """Store an order and lower QOH for each line, in the caller's write transaction.

    Manual and POS orders refuse an unknown SKU (nothing is changed). An imported order keeps
    a line whose SKU the store does not have, without changing any QOH, and says so. Returns
    None when the cart's order is already in the store (nothing changed)."""
    if not lines and kind is not OrderKind.IMPORTED:
        raise InputError("an order needs at least one line")
    number = _insert_order(
        session,
        {
            "kind": kind.value,
            "cart_id": cart.id if cart else None,
            "cart_name": cart.name if cart else "",
            "cart_order_number": cart_order_number,
            "status": OrderStatus.OPEN.value,
            "workstation": workstation,
            "created_at": utcnow(),
        },
    )
    if number is None:
        return None
    source = SOURCES[kind]
    reason = f"{cart.name} order {cart_order_number}" if cart and cart_order_number else ""
    changes: list[AppliedChange] = []
    unknown: list[str] = []
    for line in lines:
        product = _store_product(session, cart, line.sku) if kind is OrderKind.IMPORTED else None
        if kind is OrderKind.IMPORTED and product is None:
            unknown.append(line.sku)
            session.add(OrderLine(order_id=number, sku=line.sku, quantity=line.quantity))
            continue
        applied = apply_change(
            session,
            QohChange(
                product[1] if product else line.sku,
                source,
                delta=-line.quantity,
                reason=reason,
                document=str(number),
                origin_cart_id=cart.id if cart else None,
            ),
            workstation,
        )
        changes.append(applied)
        session.add(
            OrderLine(
                order_id=number,
                product_id=applied.product_id,
                sku=applied.sku,
                quantity=line.quantity,
            )
        )
    session.flush()
    return PlacedOrder(
        number, kind, cart.name if cart else "", cart_order_number, tuple(changes), tuple(unknown)
    )


def _store_product(
    session: Session, cart: CartInfo | None, cart_sku: str
) -> tuple[int, str] | None:
    """The store product a cart's SKU is (Web Fields' cart SKU first, else the same SKU)."""
    if cart is not None:
        row = session.execute(
            select(Product.id, Product.sku)
            .join(WebField, WebField.product_id == Product.id)
            .where(WebField.cart_id == cart.id, WebField.cart_sku == cart_sku)
            .order_by(Product.id)
            .limit(1)
        ).first()
        if row is not None:
            return (row[0], row[1])
    row = session.execute(select(Product.id, Product.sku).where(Product.sku == cart_sku)).first()
    return (row[0], row[1]) if row is not None else None


def add_order(
    session: Session,
    lines: Sequence[Line],
    workstation: str,
    *,
    cart_name: str | None = None,
    kind: OrderKind = OrderKind.MANUAL,
) -> PlacedOrder:
    """A phone/counter order (``cart_name``: the channel it came through) or a POS sale."""
    cart = store_carts.snapshot(store_carts.get_cart(session, cart_name)) if cart_name else None
    placed = place_order(session, lines, workstation, kind=kind, cart=cart)
    assert placed is not None  # only imported orders can already exist
    return placed


def pos_sale(session: Session, lines: Sequence[Line], workstation: str) -> PlacedOrder:
    return add_order(session, lines, workstation, kind=OrderKind.POS)


@dataclass(frozen=True)
class CancelledOrder:
    number: int
    changes: tuple[AppliedChange, ...]

    @property
    def queued_rows(self) -> int:
        return stack_rows_written(self.changes)


def cancel_order(session: Session, number: int, workstation: str) -> CancelledOrder:
    """Cancel an open order: each line's stock goes back (source "order cancelled"), and the
    carts hear of it, except the cart the order came from, which restocks its own cancelled
    orders (see docs/decisions.md)."""
    done = session.execute(
        update(_orders)
        .where(_orders.c.id == number, _orders.c.status == OrderStatus.OPEN.value)
        .values(status=OrderStatus.CANCELLED.value, cancelled_at=utcnow())
        .returning(_orders.c.cart_id)
    ).one_or_none()
    if done is None:
        status = session.scalar(select(Order.status).where(Order.id == number))
        if status is None:
            raise NotFoundError(f"there is no order {number}")
        raise InputError(f"order {number} is already {status}")
    changes: list[AppliedChange] = []
    lines = session.execute(
        select(Product.sku, OrderLine.quantity)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == number)
        .order_by(OrderLine.id)
    ).all()
    for sku, quantity in lines:
        changes.append(
            apply_change(
                session,
                QohChange(
                    sku,
                    Source.ORDER_CANCELLED,
                    delta=quantity,
                    document=str(number),
                    origin_cart_id=done.cart_id,
                ),
                workstation,
            )
        )
    return CancelledOrder(number, tuple(changes))


@dataclass(frozen=True)
class OrderSummary:
    number: int
    kind: str
    cart: str
    cart_order_number: str | None
    status: str
    created_at: Any
    lines: tuple[Line, ...]


def _summaries(session: Session, found: Sequence[Order]) -> list[OrderSummary]:
    """Orders with their lines: two queries however many orders."""
    lines: dict[int, list[Line]] = {o.id: [] for o in found}
    if lines:
        for order_id, sku, quantity in session.execute(
            select(OrderLine.order_id, OrderLine.sku, OrderLine.quantity)
            .where(OrderLine.order_id.in_(list(lines)))
            .order_by(OrderLine.id)
        ):
            lines[order_id].append(Line(sku, quantity))
    return [
        OrderSummary(
            o.id,
            o.kind,
            o.cart_name,
            o.cart_order_number,
            o.status,
            o.created_at,
            tuple(lines[o.id]),
        )
        for o in found
    ]


def get_order(session: Session, number: int) -> OrderSummary:
    order = session.get(Order, number)
    if order is None:
        raise NotFoundError(f"there is no order {number}")
    return _summaries(session, [order])[0]


def recent_orders(session: Session, limit: int = 200) -> list[OrderSummary]:
    found = session.scalars(select(Order).order_by(Order.id.desc()).limit(limit)).all()
    return _summaries(session, found)


# -- import ----------------------------------------------------------------------------------
@dataclass
class ImportReport:
    cart: str
    imported: list[PlacedOrder] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    """Cart order numbers that were already in the store (nothing changed for them)."""
    warnings: list[str] = field(default_factory=list)
    requests: int = 0

    @property
    def summary(self) -> str:
        text = f"{self.cart}: {len(self.imported)} new order(s) imported" + (
            f", {len(self.already_imported)} already imported" if self.already_imported else ""
        )
        return text + "".join(f"\n  warning: {w}" for w in self.warnings)


Progress = Callable[[int], None]


def last_imported(session: Session, cart_id: int) -> str | None:
    """The cart order number of the last order imported from this cart (None: none yet)."""
    return session.scalar(
        select(Order.cart_order_number)
        .where(Order.cart_id == cart_id, Order.cart_order_number.is_not(None))
        .order_by(Order.id.desc())
        .limit(1)
    )


def _lines(order: CartOrder, report: ImportReport, cart: CartInfo) -> list[Line]:
    merged: dict[str, int] = {}
    for line in order.lines:
        if line.quantity <= 0 or not line.sku.strip():
            report.warnings.append(
                f"{cart.name} order {order.number}: a line ({line.sku!r} x {line.quantity}) "
                "has no SKU or no positive quantity; it was skipped"
            )
            continue
        merged[line.sku.strip()] = merged.get(line.sku.strip(), 0) + line.quantity
    return [Line(sku, qty) for sku, qty in merged.items()]


def import_orders(
    store: Store,
    cart_name: str,
    workstation: str,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    max_batches: int = 10_000,
) -> ImportReport:
    """Fetch the cart's new orders, ``Order Download Batch`` at a time, and store each batch in
    one write transaction. Safe to run twice or on two workstations at once (see module doc)."""
    with store.read() as session:
        cart = store_carts.snapshot(store_carts.get_cart(session, cart_name))
        caps = platform(cart.platform).capabilities
        if not caps.orders:
            raise InputError(
                f"{cart.name} is a {platform(cart.platform).label} cart, whose orders SEOM "
                "Desktop cannot download; enter them with Order Entry ('order add --cart')"
            )
        after = last_imported(session, cart.id)
        settings = connector_settings(session, cart)
    report = ImportReport(cart.name)
    batch_size = max(1, cart.order_download_batch)
    with connector_for(cart, **settings) as connector:
        for _ in range(max_batches):
            if cancel is not None and cancel():
                report.warnings.append("cancelled; the rest of the orders wait for the next import")
                break
            batch = connector.new_orders(after, batch_size)
            report.requests += 1
            if not batch:
                break
            with store.write() as session:
                for order in batch:
                    if not order.number.strip():
                        report.warnings.append(f"{cart.name} sent an order without a number")
                        continue
                    placed = place_order(
                        session,
                        _lines(order, report, cart),
                        workstation,
                        kind=OrderKind.IMPORTED,
                        cart=cart,
                        cart_order_number=order.number,
                    )
                    if placed is None:
                        report.already_imported.append(order.number)
                        continue
                    report.imported.append(placed)
                    report.warnings.extend(
                        f"{cart.name} order {order.number}: SKU {sku!r} is not in the store; "
                        "its QOH was not changed"
                        for sku in placed.unknown_skus
                    )
            if progress is not None:
                progress(len(report.imported))
            if batch[-1].number == after or len(batch) < batch_size:
                break  # the cart has no more (or does not move past ``after``)
            after = batch[-1].number
    log.info("%s", report.summary)
    return report
