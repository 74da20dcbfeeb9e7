"""Products and their web fields (how each cart knows a product)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.quantities import parse_quantity
from seom_desktop.store.carts import get_cart
from seom_desktop.store.models import Cart, Product, WebField

MAX_SKU_LENGTH = 100


def clean_sku(raw: object) -> str:
    sku = str(raw if raw is not None else "").strip()
    if not sku:
        raise InputError("a SKU cannot be empty")
    if len(sku) > MAX_SKU_LENGTH:
        raise InputError(f"SKU {sku[:20]!r}... is longer than {MAX_SKU_LENGTH} characters")
    if any(ord(ch) < 32 for ch in sku):
        raise InputError(f"SKU {sku!r} contains a control character")
    return sku


@dataclass(frozen=True)
class ProductInfo:
    id: int
    sku: str
    name: str
    qoh: int
    is_kit: bool


def _info(product: Product) -> ProductInfo:
    return ProductInfo(product.id, product.sku, product.name, product.qoh, product.is_kit)


def get_product(session: Session, sku: str) -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        near = session.scalar(
            select(Product.sku).where(func.lower(Product.sku) == sku.lower()).limit(1)
        )
        hint = f" (did you mean {near!r}?)" if near else ""
        raise NotFoundError(f"there is no product with SKU {sku!r}{hint}")
    return product


def product_info(session: Session, sku: str) -> ProductInfo:
    return _info(get_product(session, sku))


def add_product(
    session: Session, sku: str, workstation: str, *, name: str = "", qoh: int = 0
) -> ProductInfo:
    """Create a product; a starting quantity is recorded in the ledger (not sent to the carts,
    which learn of new products through Send QOH)."""
    sku = clean_sku(sku)
    qoh = parse_quantity(qoh, "the starting quantity")
    if session.scalar(select(Product.id).where(Product.sku == sku)) is not None:
        raise InputError(f"a product with SKU {sku!r} already exists")
    product = Product(sku=sku, name=name.strip(), qoh=0)
    session.add(product)
    session.flush()
    if qoh:
        apply_change(
            session,
            QohChange(sku=sku, source=Source.NEW_PRODUCT, delta=qoh, send_to_web=False),
            workstation,
        )
        session.refresh(product)
    return _info(product)


def list_products(session: Session, search: str | None = None) -> Iterator[ProductInfo]:
    query = select(Product).order_by(Product.sku)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Product.sku).like(pattern) | func.lower(Product.name).like(pattern)
        )
    for product in session.scalars(query.execution_options(yield_per=1000)):
        yield _info(product)


@dataclass(frozen=True)
class ImportRow:
    line: int
    sku: str
    name: str | None
    qoh: int | None


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    qoh_changed: int


def read_product_csv(path: Path) -> list[ImportRow]:
    """Read and check a whole ``sku,name,qoh`` file before anything is written."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a UTF-8 text file") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "sku" not in fields:
        raise InputError(f"{path} needs a header line with a sku column (sku,name,qoh)")
    reader.fieldnames = fields
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        try:
            sku = clean_sku(record.get("sku"))
            raw_qoh = (record.get("qoh") or "").strip()
            qoh = parse_quantity(raw_qoh, "qoh") if raw_qoh else None
        except InputError as exc:
            raise InputError(f"{path}, line {line}: {exc}") from None
        if sku in seen:
            raise InputError(f"{path}, line {line}: SKU {sku!r} is already on line {seen[sku]}")
        seen[sku] = line
        name = record.get("name")
        rows.append(ImportRow(line, sku, name.strip() if name is not None else None, qoh))
    return rows


def import_products(session: Session, rows: list[ImportRow], workstation: str) -> ImportSummary:
    """Create new SKUs; for known SKUs update the name and set the QOH (a QOH change like any
    other: in the ledger and, if it differs, sent to the synchronized carts)."""
    existing = {
        p.sku: p
        for p in session.scalars(select(Product).where(Product.sku.in_([r.sku for r in rows])))
    }
    created = updated = changed = 0
    for row in rows:
        product = existing.get(row.sku)
        if product is None:
            add_product(session, row.sku, workstation, name=row.name or "", qoh=row.qoh or 0)
            created += 1
            continue
        if row.name is not None and row.name != product.name:
            product.name = row.name
            updated += 1
        if row.qoh is not None and row.qoh != product.qoh:
            apply_change(
                session,
                QohChange(sku=row.sku, source=Source.PRODUCT_IMPORT, set_to=row.qoh),
                workstation,
            )
            changed += 1
    session.flush()
    return ImportSummary(created, updated, changed)


@dataclass(frozen=True)
class WebFieldInfo:
    cart: str
    platform: str
    cart_sku: str
    sync_qoh: bool
    explicit: bool
    """False when no web-field row exists and the defaults (same SKU, synchronized) apply."""


def web_fields(session: Session, sku: str) -> list[WebFieldInfo]:
    """One entry per cart: how that cart knows the product."""
    product = get_product(session, sku)
    rows = {wf.cart_id: wf for wf in product.web_fields}
    result = []
    for cart in session.scalars(select(Cart).order_by(Cart.name)):
        wf = rows.get(cart.id)
        result.append(
            WebFieldInfo(
                cart=cart.name,
                platform=cart.platform,
                cart_sku=(wf.cart_sku if wf and wf.cart_sku else product.sku),
                sync_qoh=wf.sync_qoh if wf else True,
                explicit=wf is not None,
            )
        )
    return result


def set_web_fields(
    session: Session,
    sku: str,
    cart_name: str,
    *,
    cart_sku: str | None = None,
    sync_qoh: bool | None = None,
) -> WebFieldInfo:
    product = get_product(session, sku)
    cart = get_cart(session, cart_name)
    wf = session.scalar(
        select(WebField).where(WebField.product_id == product.id, WebField.cart_id == cart.id)
    )
    if wf is None:
        wf = WebField(product_id=product.id, cart_id=cart.id, cart_sku=None, sync_qoh=True)
        session.add(wf)
    if cart_sku is not None:
        wf.cart_sku = clean_sku(cart_sku) if cart_sku.strip() else None
    if sync_qoh is not None:
        wf.sync_qoh = sync_qoh
    session.flush()
    return WebFieldInfo(
        cart=cart.name,
        platform=cart.platform,
        cart_sku=wf.cart_sku or product.sku,
        sync_qoh=wf.sync_qoh,
        explicit=True,
    )
