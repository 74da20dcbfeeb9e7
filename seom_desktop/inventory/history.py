"""Reading the inventory ledger and product pages for the screens (headless, read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from seom_desktop.inventory.products import ProductInfo, get_product
from seom_desktop.store.models import Cart, LedgerEntry, Product


@dataclass(frozen=True)
class LedgerLine:
    id: int
    created_at: datetime
    workstation: str
    source: str
    reason: str
    document: str | None
    origin_cart: str | None
    send_to_web: bool
    qoh_before: int
    delta: int
    qoh_after: int


def ledger_history(session: Session, sku: str, *, limit: int = 500) -> list[LedgerLine]:
    """The product's newest ``limit`` ledger rows, oldest first (for a table and a chart)."""
    product = get_product(session, sku)
    rows = session.execute(
        select(LedgerEntry, Cart.name)
        .outerjoin(Cart, Cart.id == LedgerEntry.origin_cart_id)
        .where(LedgerEntry.product_id == product.id)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    ).all()
    lines = [
        LedgerLine(
            id=entry.id,
            created_at=entry.created_at,
            workstation=entry.workstation,
            source=entry.source,
            reason=entry.reason,
            document=entry.document,
            origin_cart=cart_name,
            send_to_web=entry.send_to_web,
            qoh_before=entry.qoh_before,
            delta=entry.delta,
            qoh_after=entry.qoh_after,
        )
        for entry, cart_name in rows
    ]
    lines.reverse()
    return lines


def _search_filter(search: str | None) -> list[ColumnElement[bool]]:
    if not search or not search.strip():
        return []
    pattern = f"%{search.strip().lower()}%"
    return [func.lower(Product.sku).like(pattern) | func.lower(Product.name).like(pattern)]


def count_products(session: Session, search: str | None = None) -> int:
    query = select(func.count()).select_from(Product).where(*_search_filter(search))
    return int(session.scalar(query) or 0)


def product_page(
    session: Session, search: str | None = None, *, after_sku: str | None = None, limit: int = 500
) -> list[ProductInfo]:
    """Products ordered by SKU after ``after_sku`` (keyset paging: each page costs the same
    however deep the clerk has scrolled)."""
    query = (
        select(Product.id, Product.sku, Product.name, Product.qoh, Product.is_kit)
        .where(*_search_filter(search))
        .order_by(Product.sku)
        .limit(limit)
    )
    if after_sku is not None:
        query = query.where(Product.sku > after_sku)
    return [ProductInfo(*row) for row in session.execute(query)]
