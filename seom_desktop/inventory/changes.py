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
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from seom_desktop.carts.platforms import PLATFORMS
from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.store import bulk, params
from seom_desktop.store.models import (
    Cart,
    KitComponent,
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
    ORDER_CANCELLED = "order cancelled"
    KIT_DEFINITION = "kit definition"


KIT_SALE_SOURCES = frozenset(
    {Source.POS_SALE, Source.MANUAL_ORDER, Source.IMPORTED_ORDER, Source.ORDER_CANCELLED}
)
"""The changes that may name a kit: they move its components. Any other change to a kit
(an adjustment, Get QOH, a receipt) is refused: a kit's QOH is derived, never set."""


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
        if self.set_to is not None:
            check_new_quantity(self.set_to)
        else:
            assert self.delta is not None
            _check_size(self.delta)


def _check_size(amount: int) -> None:
    if abs(amount) > MAX_QUANTITY:
        raise InputError(f"{amount} is larger than any quantity SEOM Desktop accepts")


def check_new_quantity(value: int) -> None:
    """The checks of a "set to" change (:class:`QohChange`), for callers that set many."""
    _check_size(value)
    if value < 0:
        raise InputError(f"a new quantity cannot be negative ({value})")


class AppliedChange(NamedTuple):
    """What a change did (a NamedTuple: Get QOH makes one per product of a catalogue)."""

    sku: str
    product_id: int
    qoh_before: int
    delta: int
    qoh_after: int
    ledger_id: int
    stack_row_ids: tuple[int, ...]
    stack_cart_ids: tuple[int, ...]
    """The cart of each stack row, in the same order."""
    related: tuple[AppliedChange, ...] = ()
    """Changes made with this one: a sold kit's components, and the kits whose derived QOH
    moved because a component did."""


def stack_rows_written(changes: Iterable[AppliedChange]) -> int:
    """The web-stack rows these changes wrote, their kit components and kits included."""
    return sum(len(c.stack_row_ids) + stack_rows_written(c.related) for c in changes)


def realtime_platforms() -> list[str]:
    return [key for key, p in PLATFORMS.items() if p.capabilities.realtime]


# The statements are built once: apply_change runs for every sale, receipt and adjustment, and
# building SQLAlchemy statements costs more than running them.
_products = cast(Table, Product.__table__)
_carts = cast(Table, Cart.__table__)
_web_fields = cast(Table, WebField.__table__)
_ledger = cast(Table, LedgerEntry.__table__)
_stack = cast(Table, StackRow.__table__)

_kit_components = cast(Table, KitComponent.__table__)

_LOCK_QOH = (
    select(_products.c.qoh, _products.c.is_kit)
    .where(_products.c.sku == bindparam("b_sku"))
    .with_for_update()
)
_MOVE_QOH = (  # never a kit: their QOH is derived (refresh_kits)
    update(_products)
    .where(_products.c.sku == bindparam("b_sku"), _products.c.is_kit.is_(False))
    .values(qoh=_products.c.qoh + bindparam("b_delta", type_=Integer))
    .returning(_products.c.id, _products.c.qoh)
)
_component = _products.alias("component")
_DERIVED_KIT_QOH = (
    # min over components of floor(component QOH / quantity per kit); never below 0
    select(
        func.coalesce(
            func.min(
                case(
                    (_component.c.qoh <= 0, 0),
                    else_=_component.c.qoh // _kit_components.c.quantity,
                )
            ),
            0,
        )
    )
    .select_from(
        _kit_components.join(_component, _component.c.id == _kit_components.c.component_id)
    )
    .where(_kit_components.c.kit_id == bindparam("b_kit"))
    .scalar_subquery()
)
_KITS_OF = (
    select(_kit_components.c.kit_id)
    .where(
        bulk.one_of(
            _kit_components.c.component_id, bindparam("b_components", type_=bulk.ValueList(Integer))
        )
    )
    .distinct()
    .order_by(_kit_components.c.kit_id)
)
_LOCK_KIT = (
    select(_products.c.qoh, _products.c.sku)
    .where(_products.c.id == bindparam("b_kit"))
    .with_for_update()
)
_DERIVE_KIT = (
    update(_products)
    .where(_products.c.id == bindparam("b_kit"))
    .values(qoh=_DERIVED_KIT_QOH)
    .returning(_products.c.qoh)
)
_COMPONENTS = (
    select(_products.c.id, _products.c.sku, _kit_components.c.quantity)
    .join(_kit_components, _kit_components.c.component_id == _products.c.id)
    .where(_kit_components.c.kit_id == bindparam("b_kit"))
    .order_by(_products.c.id)
)
_WRITE_LEDGER = insert(_ledger).returning(_ledger.c.id)
_NOTIFY_STACK = text("NOTIFY seom_stack")
# RETURNING the key a row was written for, not the rows in parameter order: SQLAlchemy keeps
# that order on SQLite only by writing one row per statement. The caller matches by cart.
_WRITE_STACK = insert(_stack).returning(_stack.c.id, _stack.c.cart_id)
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
    """Apply one QOH change inside the caller's write transaction (see module docstring).

    A kit's QOH is derived from its components (see :mod:`seom_desktop.inventory.kits`):
    selling or returning a kit moves its components, and every kit that contains a changed
    component has its derived QOH recomputed, ledgered and sent to the carts in the same
    transaction. The kit changes are in :attr:`AppliedChange.related`."""
    if change.set_to is not None:
        # Lock the row, then compute the delta from the value nobody else can now change.
        locked = session.execute(_LOCK_QOH, {"b_sku": change.sku}).one_or_none()
        if locked is None:
            raise _missing_product(session, change.sku)
        if locked.is_kit:
            raise _kit_refused(session, change)
        delta = change.set_to - locked.qoh
    else:
        assert change.delta is not None
        delta = change.delta

    moved = session.execute(_MOVE_QOH, {"b_sku": change.sku, "b_delta": delta}).one_or_none()
    if moved is None:
        kit_id = session.scalar(select(_products.c.id).where(_products.c.sku == change.sku))
        if kit_id is None:
            raise _missing_product(session, change.sku)
        return _sell_kit(session, kit_id, change, workstation)
    product_id, qoh_after = moved
    applied = _record(
        session,
        change,
        workstation,
        product_id=product_id,
        qoh_before=qoh_after - delta,
        delta=delta,
        origin_cart_id=change.origin_cart_id,
    )
    kits = refresh_kits(session, [product_id], change, workstation)
    return applied._replace(related=tuple(kits)) if kits else applied


_STACK_COLUMNS = (
    "cart_id",
    "product_id",
    "cart_sku",
    "delta",
    "ledger_id",
    "origin_workstation",
    "created_at",
    "attempts",
    "last_response",
    "status",
    "idempotency_key",
)


def _stack_row(  # noqa: PLR0917 - the columns of one row
    cart_id: int,
    cart_sku: str,
    product_id: int,
    delta: int,
    ledger_id: int,
    workstation: str,
    now: Any,
) -> tuple[Any, ...]:
    """The values of one new pending web-stack row, in :data:`_STACK_COLUMNS` order (its own
    idempotency key). One change writes them as a dict, a Get QOH page as driver tuples."""
    return (
        cart_id,
        product_id,
        cart_sku,
        delta,
        ledger_id,
        workstation,
        now,
        0,
        "",
        StackStatus.PENDING.value,
        uuid.uuid4().hex,
    )


def _record(
    session: Session,
    change: QohChange,
    workstation: str,
    *,
    product_id: int,
    qoh_before: int,
    delta: int,
    sku: str | None = None,
    origin_cart_id: int | None = None,
    reason: str | None = None,
) -> AppliedChange:
    """The ledger row and the stack rows of a QOH move that has just been made."""
    sku = sku or change.sku
    qoh_after = qoh_before + delta
    ledger_id = session.execute(
        _WRITE_LEDGER,
        {
            "created_at": utcnow(),
            "workstation": workstation,
            "product_id": product_id,
            "sku": sku,
            "source": change.source.value,
            "reason": change.reason if reason is None else reason,
            "document": change.document,
            "origin_cart_id": origin_cart_id,
            "send_to_web": change.send_to_web,
            "qoh_before": qoh_before,
            "delta": delta,
            "qoh_after": qoh_after,
        },
    ).scalar_one()

    targets = (
        stack_targets(session, product_id, sku, origin_cart_id)
        if change.send_to_web and delta != 0
        else []
    )
    stack_ids: list[int] = []
    if targets:
        now = utcnow()
        written = {
            cart_id: stack_id
            for stack_id, cart_id in session.execute(
                _WRITE_STACK,
                [
                    dict(
                        zip(
                            _STACK_COLUMNS,
                            _stack_row(
                                cart_id, cart_sku, product_id, delta, ledger_id, workstation, now
                            ),
                            strict=True,
                        )
                    )
                    for cart_id, cart_sku in targets
                ],
            )
        }
        stack_ids = [written[cart_id] for cart_id, _ in targets]
    if stack_ids and session.get_bind().dialect.name == "postgresql":
        # Wakes the stack controllers LISTENing (stack/wakeup.py) when this commits.
        session.execute(_NOTIFY_STACK)
    return AppliedChange(
        sku=sku,
        product_id=product_id,
        qoh_before=qoh_before,
        delta=delta,
        qoh_after=qoh_after,
        ledger_id=ledger_id,
        stack_row_ids=tuple(stack_ids),
        stack_cart_ids=tuple(cart_id for cart_id, _ in targets),
    )


def kit_components(session: Session, kit_id: int) -> list[tuple[int, str, int]]:
    """(component id, SKU, quantity per kit) of a kit, by component id."""
    return [(cid, sku, qty) for cid, sku, qty in session.execute(_COMPONENTS, {"b_kit": kit_id})]


def _kit_refused(session: Session, change: QohChange) -> InputError:
    kit_id = session.scalar(select(_products.c.id).where(_products.c.sku == change.sku))
    parts = ", ".join(f"{qty} x {sku}" for _, sku, qty in kit_components(session, kit_id or -1))
    return InputError(
        f"{change.sku} is a kit: its QOH is derived from its components ({parts}); "
        "change the components instead"
    )


def _sell_kit(session: Session, kit_id: int, change: QohChange, workstation: str) -> AppliedChange:
    """A kit sold (or returned): each component moves by quantity-per-kit times the kits
    sold, then the kits' derived QOH follow. The cart that sold the kit is not told of the
    kit's own change (it made it); the components' changes go to every cart, that one too,
    because it sold a kit, not the components."""
    if change.source not in KIT_SALE_SOURCES:
        raise _kit_refused(session, change)
    assert change.delta is not None
    components = kit_components(session, kit_id)
    if not components:
        raise InputError(f"kit {change.sku} has no components; define them with 'kit define'")
    moved: list[AppliedChange] = []
    for component_id, sku, quantity in components:
        part = QohChange(
            sku,
            change.source,
            delta=change.delta * quantity,
            reason=change.reason or f"kit {change.sku}",
            document=change.document,
            send_to_web=change.send_to_web,
        )
        assert part.delta is not None
        row = session.execute(_MOVE_QOH, {"b_sku": sku, "b_delta": part.delta}).one()
        moved.append(
            _record(
                session,
                part,
                workstation,
                product_id=component_id,
                qoh_before=row.qoh - part.delta,
                delta=part.delta,
            )
        )
    kits = refresh_kits(
        session, [c[0] for c in components], change, workstation, sold_kit_id=kit_id
    )
    sold = next(k for k in kits if k.product_id == kit_id)
    others = [k for k in kits if k is not sold]
    return sold._replace(related=tuple(moved + others))


def refresh_kits(
    session: Session,
    component_ids: Iterable[int],
    change: QohChange,
    workstation: str,
    *,
    sold_kit_id: int | None = None,
    kit_ids: Iterable[int] | None = None,
) -> list[AppliedChange]:
    """Recompute the derived QOH of every kit containing one of these components (or of
    ``kit_ids``), in SQL, and ledger and stack every kit whose QOH moved, under ``change``'s
    source and document. Kits are locked in id order, so two transactions cannot deadlock."""
    ids = (
        sorted(set(kit_ids))
        if kit_ids is not None
        else list(session.scalars(_KITS_OF, {"b_components": list(component_ids)}))
    )
    applied: list[AppliedChange] = []
    for kit_id in ids:
        before, sku = session.execute(_LOCK_KIT, {"b_kit": kit_id}).one()
        after = session.execute(_DERIVE_KIT, {"b_kit": kit_id}).scalar_one()
        sold = kit_id == sold_kit_id
        if after == before and not sold:
            continue
        applied.append(
            _record(
                session,
                change,
                workstation,
                product_id=kit_id,
                qoh_before=before,
                delta=after - before,
                sku=sku,
                origin_cart_id=change.origin_cart_id if sold else None,
                reason=None
                if sold or change.source is Source.KIT_DEFINITION
                else f"kit: {change.sku} changed",
            )
        )
    return applied


class _Locked(NamedTuple):
    id: int
    sku: str
    qoh: int
    is_kit: bool


_LOCK_MANY = (
    select(_products.c.id, _products.c.sku, _products.c.qoh, _products.c.is_kit)
    .where(bulk.one_of(_products.c.sku, bindparam("b_skus", type_=bulk.ValueList())))
    .with_for_update()
)
# Bulk rows go straight to the driver (store/bulk.py): the per-row cost of SQLAlchemy's
# parameter processing was most of a 100,000-item Get QOH.
_LEDGER_MANY_COLUMNS = (
    "id",
    "product_id",
    "sku",
    "qoh_before",
    "delta",
    "qoh_after",
    "created_at",
    "workstation",
    "source",
    "reason",
    "document",
    "origin_cart_id",
    "send_to_web",
)
_STACK_MANY_COLUMNS = ("id", *_STACK_COLUMNS)
_TARGETS_MANY = (
    select(
        _products.c.id,
        _carts.c.id,
        func.coalesce(_web_fields.c.cart_sku, _products.c.sku),
    )
    .select_from(
        _products.join(_carts, true()).outerjoin(
            _web_fields,
            and_(
                _web_fields.c.cart_id == _carts.c.id,
                _web_fields.c.product_id == _products.c.id,
            ),
        )
    )
    .where(
        bulk.one_of(_products.c.id, bindparam("b_ids", type_=bulk.ValueList(Integer))),
        _carts.c.active.is_(True),
        _carts.c.sync_inventory.is_(True),
        _carts.c.platform.in_(realtime_platforms()),
        or_(_web_fields.c.id.is_(None), _web_fields.c.sync_qoh.is_(True)),
        _carts.c.id != func.coalesce(bindparam("b_origin", type_=Integer), -1),
    )
    .order_by(_products.c.id, _carts.c.id)
)


def set_quantities(
    session: Session,
    targets: dict[str, int],
    *,
    source: Source,
    workstation: str,
    origin_cart_id: int | None = None,
    chunk: int = 500,
) -> dict[str, AppliedChange]:
    """Set many products to new quantities at once (Get QOH applies a cart page this way): the
    same ledger and stack rows as :func:`apply_change` with ``set_to`` for each, written by a
    few statements per ``chunk`` products instead of six per product. The rows are locked, the
    deltas computed from the locked values and applied with SQL arithmetic; a kit is refused
    and the kits containing a changed product follow once, at the end."""
    applied: dict[str, AppliedChange] = {}
    moved_ids: list[int] = []
    items = list(targets.items())
    # Core execution on the session's connection: plain rows, no ORM result processing.
    run = session.connection().execute
    synch: bool | None = None  # SynchQOH, read once (when something moved)
    for start in range(0, len(items), chunk):
        part = dict(items[start : start + chunk])
        for target in part.values():
            check_new_quantity(target)  # the same checks as one change
        # Plain tuples (id, sku, qoh, is_kit): read once per product, not per attribute.
        found = {
            sku: _Locked(pid, sku, qoh, kit)
            for pid, sku, qoh, kit in run(_LOCK_MANY, {"b_skus": list(part)}).all()
        }
        moves: list[tuple[_Locked, int]] = []
        for sku, target in part.items():
            row = found.get(sku)
            if row is None:
                raise _missing_product(session, sku)
            if row.is_kit:
                raise _kit_refused(session, QohChange(sku, source, set_to=target))
            moves.append((row, target - row.qoh))
        bulk.add_to_column(
            session, _products, "qoh", [(delta, row.id) for row, delta in moves if delta]
        )
        now = utcnow()
        ledger_ids = bulk.reserve_ids(session, _ledger, len(moves))
        constants = (
            bulk.driver_value(session, _ledger.c.created_at, now),
            workstation,
            source.value,
            "",
            None,
            origin_cart_id,
            True,
        )
        bulk.insert_many(
            session,
            _ledger,
            _LEDGER_MANY_COLUMNS,
            [
                (lid, row.id, row.sku, row.qoh, delta, row.qoh + delta, *constants)
                for (row, delta), lid in zip(moves, ledger_ids, strict=True)
            ],
        )
        changed = {
            row.id: (row, delta, lid)
            for (row, delta), lid in zip(moves, ledger_ids, strict=True)
            if delta
        }
        carts_of: list[tuple[int, int, str]] = []
        if changed and synch is None:
            synch = bool(params.get(session, "SynchQOH"))
        if changed and synch:
            carts_of = [
                (product_id, cart_id, cart_sku)
                for product_id, cart_id, cart_sku in run(
                    _TARGETS_MANY, {"b_ids": list(changed), "b_origin": origin_cart_id}
                )
            ]
        stack_ids = bulk.reserve_ids(session, _stack, len(carts_of))
        stamp = bulk.driver_value(session, _stack.c.created_at, now)
        bulk.insert_many(
            session,
            _stack,
            _STACK_MANY_COLUMNS,
            [
                (
                    sid,
                    *_stack_row(
                        cart_id,
                        cart_sku,
                        product_id,
                        changed[product_id][1],
                        changed[product_id][2],
                        workstation,
                        stamp,
                    ),
                )
                for (product_id, cart_id, cart_sku), sid in zip(carts_of, stack_ids, strict=True)
            ],
        )
        by_product: dict[int, list[tuple[int, int]]] = {}
        for (product_id, cart_id, _), sid in zip(carts_of, stack_ids, strict=True):
            by_product.setdefault(product_id, []).append((sid, cart_id))
        for (row, delta), ledger_id in zip(moves, ledger_ids, strict=True):
            written = by_product.get(row.id)
            applied[row.sku] = AppliedChange(  # positional: 100,000 of them in a Get QOH
                row.sku,
                row.id,
                row.qoh,
                delta,
                row.qoh + delta,
                ledger_id,
                tuple(i for i, _ in written) if written else (),
                tuple(c for _, c in written) if written else (),
            )
        moved_ids.extend(changed)
        if stack_ids and session.get_bind().dialect.name == "postgresql":
            session.execute(_NOTIFY_STACK)
    if moved_ids:
        first = next(a for a in applied.values() if a.delta)
        refresh_kits(session, moved_ids, QohChange(first.sku, source, delta=0), workstation)
    return applied


def apply_changes(
    session: Session, changes: Iterable[QohChange], workstation: str
) -> list[AppliedChange]:
    """Several changes in the caller's one transaction (all or none)."""
    return [apply_change(session, change, workstation) for change in changes]
