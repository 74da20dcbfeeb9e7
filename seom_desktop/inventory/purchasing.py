"""Purchase orders: ordered from a supplier, received in full or in part.

Receiving raises QOH through :func:`~seom_desktop.inventory.changes.apply_change` (source
"PO receipt", the PO number as document), so every synchronized cart is told: 100 received,
every cart +100. The received count moves with SQL arithmetic guarded by ``received + n <=
ordered``, so two clerks receiving the same PO at once can never receive more than was ordered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.inventory.changes import AppliedChange, QohChange, Source, apply_change
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.products import get_product
from seom_desktop.store.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    utcnow,
)

_po_lines = cast(Table, PurchaseOrderLine.__table__)


@dataclass(frozen=True)
class PoLine:
    sku: str
    ordered: int
    received: int

    @property
    def outstanding(self) -> int:
        return self.ordered - self.received


@dataclass(frozen=True)
class PoSummary:
    number: int
    supplier: str
    status: str
    created_at: datetime
    lines: tuple[PoLine, ...]

    @property
    def outstanding(self) -> int:
        return sum(line.outstanding for line in self.lines)


def create_po(session: Session, supplier: str, lines: Sequence[Line], workstation: str) -> int:
    """A new open purchase order; its number."""
    supplier = supplier.strip()
    if not supplier:
        raise InputError("a purchase order needs a supplier")
    if not lines:
        raise InputError("a purchase order needs at least one SKU:QTY line")
    for line in lines:
        if get_product(session, line.sku).is_kit:
            raise InputError(f"{line.sku} is a kit; order its components from the supplier")
    po = PurchaseOrder(supplier=supplier, workstation=workstation, created_at=utcnow())
    session.add(po)
    session.flush()
    for line in lines:
        product = get_product(session, line.sku)
        session.add(
            PurchaseOrderLine(
                po_id=po.id, product_id=product.id, sku=product.sku, ordered=line.quantity
            )
        )
    session.flush()
    return po.id


def _summaries(session: Session, found: Sequence[PurchaseOrder]) -> list[PoSummary]:
    """Purchase orders with their lines: two queries however many POs."""
    lines: dict[int, list[PoLine]] = {po.id: [] for po in found}
    if lines:
        for po_id, sku, ordered, received in session.execute(
            select(
                PurchaseOrderLine.po_id,
                PurchaseOrderLine.sku,
                PurchaseOrderLine.ordered,
                PurchaseOrderLine.received,
            )
            .where(PurchaseOrderLine.po_id.in_(list(lines)))
            .order_by(PurchaseOrderLine.id)
        ):
            lines[po_id].append(PoLine(sku, ordered, received))
    return [
        PoSummary(po.id, po.supplier, po.status, po.created_at, tuple(lines[po.id])) for po in found
    ]


def get_po(session: Session, number: int) -> PoSummary:
    po = session.get(PurchaseOrder, number)
    if po is None:
        raise NotFoundError(f"there is no purchase order {number}")
    return _summaries(session, [po])[0]


def list_pos(session: Session, *, open_only: bool = False, limit: int = 500) -> list[PoSummary]:
    query = select(PurchaseOrder).order_by(PurchaseOrder.id.desc()).limit(limit)
    if open_only:
        query = query.where(PurchaseOrder.status != PurchaseOrderStatus.RECEIVED.value)
    return _summaries(session, session.scalars(query).all())


def receive_po(
    session: Session, number: int, lines: Sequence[Line] | None, workstation: str
) -> list[AppliedChange]:
    """Receive the given lines (None or empty: everything outstanding), in the caller's write
    transaction. Over-receiving, or a SKU that is not on the PO, changes nothing."""
    po = get_po(session, number)
    by_sku = {line.sku: line for line in po.lines}
    if not lines:
        wanted = [Line(line.sku, line.outstanding) for line in po.lines if line.outstanding]
        if not wanted:
            raise InputError(f"purchase order {number} has nothing left to receive")
    else:
        wanted = list(lines)
    changes: list[AppliedChange] = []
    for line in wanted:
        on_po = by_sku.get(line.sku)
        if on_po is None:
            raise InputError(f"{line.sku} is not on purchase order {number}")
        moved = session.execute(
            update(_po_lines)
            .where(
                _po_lines.c.po_id == number,
                _po_lines.c.sku == line.sku,
                _po_lines.c.received + line.quantity <= _po_lines.c.ordered,
            )
            .values(received=_po_lines.c.received + line.quantity)
            .returning(_po_lines.c.received)
        ).one_or_none()
        if moved is None:
            raise InputError(
                f"cannot receive {line.quantity} of {line.sku} on purchase order {number}: "
                f"{on_po.ordered} ordered, {on_po.received} already received "
                f"({on_po.outstanding} outstanding)"
            )
        changes.append(
            apply_change(
                session,
                QohChange(
                    line.sku,
                    Source.PO_RECEIPT,
                    delta=line.quantity,
                    reason=po.supplier,
                    document=str(number),
                ),
                workstation,
            )
        )
    outstanding, received = session.execute(
        select(
            func.sum(_po_lines.c.ordered - _po_lines.c.received), func.sum(_po_lines.c.received)
        ).where(_po_lines.c.po_id == number)
    ).one()
    status = (
        PurchaseOrderStatus.RECEIVED
        if not outstanding
        else PurchaseOrderStatus.PARTIAL
        if received
        else PurchaseOrderStatus.OPEN
    )
    session.execute(
        update(PurchaseOrder).where(PurchaseOrder.id == number).values(status=status.value)
    )
    return changes
