"""The one way QOH changes.

:func:`apply_change` is the only code that writes ``products.qoh``. In the caller's write
transaction it moves the quantity with SQL arithmetic, writes one ledger row and writes one
web-stack row for every cart that must hear of the change, so a change can never commit
without its stack rows, nor stack rows without their change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from seom_desktop.carts.platforms import PLATFORMS
from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.store import params
from seom_desktop.store.models import (
    Cart,
    LedgerEntry,
    Product,
    StackRow,
    StackStatus,
    WebField,
    utcnow,
)

MAX_QUANTITY = 1_000_000_000
"""No single change or quantity may exceed this (it keeps QOH inside a 32-bit column)."""


class Source(StrEnum):
    """Where a QOH change came from (the ledger's Source column)."""

    MANUAL_ADJUSTMENT = "manual adjustment"
    POS_SALE = "POS sale"
    MANUAL_ORDER = "manual order"
    IMPORTED_ORDER = "imported order"
    PO_RECEIPT = "PO receipt"
    GET_QOH = "Get QOH"
    NEW_PRODUCT = "new product"
    PRODUCT_IMPORT = "product import"


@dataclass(frozen=True)
class QohChange:
    """A requested change: either ``delta`` (add/subtract) or ``set_to`` (a new quantity)."""

    sku: str
    source: Source
    delta: int | None = None
    set_to: int | None = None
    reason: str = ""
    document: str | None = None
    origin_cart_id: int | None = None
    """The cart the change came from (an imported order, Get QOH); it is never told of it."""
    send_to_web: bool = True
    """False when the clerk cleared "Send QOH changes to Web sites"."""

    def __post_init__(self) -> None:
        if (self.delta is None) == (self.set_to is None):
            raise ValueError("a QOH change has either a delta or a new quantity")
        amount = self.delta if self.delta is not None else self.set_to
        assert amount is not None
        if abs(amount) > MAX_QUANTITY:
            raise InputError(f"{amount} is larger than any quantity SEOM Desktop accepts")
        if self.set_to is not None and self.set_to < 0:
            raise InputError(f"a new quantity cannot be negative ({self.set_to})")


@dataclass(frozen=True)
class AppliedChange:
    sku: str
    product_id: int
    qoh_before: int
    delta: int
    qoh_after: int
    ledger_id: int
    stack_row_ids: tuple[int, ...]
    stack_cart_ids: tuple[int, ...]
    """The cart of each stack row, in the same order."""


def realtime_platforms() -> list[str]:
    return [key for key, p in PLATFORMS.items() if p.capabilities.realtime]


# The statements are built once: apply_change runs for every sale, receipt and adjustment, and
# building SQLAlchemy statements costs more than running them.
_products = cast(Table, Product.__table__)
_carts = cast(Table, Cart.__table__)
_web_fields = cast(Table, WebField.__table__)
_ledger = cast(Table, LedgerEntry.__table__)
_stack = cast(Table, StackRow.__table__)

_LOCK_QOH = select(_products.c.qoh).where(_products.c.sku == bindparam("b_sku")).with_for_update()
_MOVE_QOH = (
    update(_products)
    .where(_products.c.sku == bindparam("b_sku"))
    .values(qoh=_products.c.qoh + bindparam("b_delta", type_=Integer))
    .returning(_products.c.id, _products.c.qoh)
)
_WRITE_LEDGER = insert(_ledger).returning(_ledger.c.id)
_NOTIFY_STACK = text("NOTIFY seom_stack")
_WRITE_STACK = insert(_stack).returning(_stack.c.id, sort_by_parameter_order=True)
_TARGETS = (
    select(_carts.c.id, func.coalesce(_web_fields.c.cart_sku, bindparam("b_sku")))
    .select_from(
        _carts.outerjoin(
            _web_fields,
            and_(
                _web_fields.c.cart_id == _carts.c.id,
                _web_fields.c.product_id == bindparam("b_product_id"),
            ),
        )
    )
    .where(
        _carts.c.active.is_(True),
        _carts.c.sync_inventory.is_(True),
        _carts.c.platform.in_(realtime_platforms()),
        or_(_web_fields.c.id.is_(None), _web_fields.c.sync_qoh.is_(True)),
        _carts.c.id != func.coalesce(bindparam("b_origin", type_=Integer), -1),
    )
    .order_by(_carts.c.id)
)


def stack_targets(
    session: Session, product_id: int, sku: str, origin_cart_id: int | None
) -> list[tuple[int, str]]:
    """(cart id, the SKU that cart knows the product by) for every cart that must hear of a
    change to this product. Empty when SynchQOH is FALSE."""
    if not params.get(session, "SynchQOH"):
        return []
    rows = session.execute(
        _TARGETS, {"b_sku": sku, "b_product_id": product_id, "b_origin": origin_cart_id}
    )
    return [(cart_id, cart_sku) for cart_id, cart_sku in rows]


def _missing_product(session: Session, sku: str) -> NotFoundError:
    near = session.scalar(
        select(Product.sku).where(func.lower(Product.sku) == sku.lower()).limit(1)
    )
    hint = f" (did you mean {near!r}?)" if near else ""
    return NotFoundError(f"there is no product with SKU {sku!r}{hint}")


def apply_change(session: Session, change: QohChange, workstation: str) -> AppliedChange:
    """Apply one QOH change inside the caller's write transaction (see module docstring)."""
    if change.set_to is not None:
        # Lock the row, then compute the delta from the value nobody else can now change.
        current = session.execute(_LOCK_QOH, {"b_sku": change.sku}).scalar_one_or_none()
        if current is None:
            raise _missing_product(session, change.sku)
        delta = change.set_to - current
    else:
        assert change.delta is not None
        delta = change.delta

    moved = session.execute(_MOVE_QOH, {"b_sku": change.sku, "b_delta": delta}).one_or_none()
    if moved is None:
        raise _missing_product(session, change.sku)
    product_id, qoh_after = moved
    qoh_before = qoh_after - delta

    ledger_id = session.execute(
        _WRITE_LEDGER,
        {
            "created_at": utcnow(),
            "workstation": workstation,
            "product_id": product_id,
            "sku": change.sku,
            "source": change.source.value,
            "reason": change.reason,
            "document": change.document,
            "origin_cart_id": change.origin_cart_id,
            "send_to_web": change.send_to_web,
            "qoh_before": qoh_before,
            "delta": delta,
            "qoh_after": qoh_after,
        },
    ).scalar_one()

    targets = (
        stack_targets(session, product_id, change.sku, change.origin_cart_id)
        if change.send_to_web and delta != 0
        else []
    )
    stack_ids: list[int] = []
    if targets:
        now = utcnow()
        stack_ids = list(
            session.execute(
                _WRITE_STACK,
                [
                    {
                        "cart_id": cart_id,
                        "product_id": product_id,
                        "cart_sku": cart_sku,
                        "delta": delta,
                        "ledger_id": ledger_id,
                        "origin_workstation": workstation,
                        "created_at": now,
                        "attempts": 0,
                        "last_response": "",
                        "status": StackStatus.PENDING.value,
                        "idempotency_key": uuid.uuid4().hex,
                    }
                    for cart_id, cart_sku in targets
                ],
            ).scalars()
        )
    if stack_ids and session.get_bind().dialect.name == "postgresql":
        # Wakes the stack controllers LISTENing (stack/wakeup.py) when this commits.
        session.execute(_NOTIFY_STACK)
    return AppliedChange(
        sku=change.sku,
        product_id=product_id,
        qoh_before=qoh_before,
        delta=delta,
        qoh_after=qoh_after,
        ledger_id=ledger_id,
        stack_row_ids=tuple(stack_ids),
        stack_cart_ids=tuple(cart_id for cart_id, _ in targets),
    )


def apply_changes(
    session: Session, changes: Iterable[QohChange], workstation: str
) -> list[AppliedChange]:
    """Several changes in the caller's one transaction (all or none)."""
    return [apply_change(session, change, workstation) for change in changes]
