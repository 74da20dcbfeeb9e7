"""Kits: a kit SKU made of components with quantities.

Selling a kit lowers its components; the kit's own QOH is derived - the minimum over its
components of floor(component QOH / quantity per kit), never below zero - and is recomputed in
SQL, ledgered and pushed to the carts that list the kit whenever a component changes (see
:func:`~seom_desktop.inventory.changes.refresh_kits`). SEOM treats kits as always in stock; a
cart told a kit is available when a component has run out oversells, so we keep kits honest.
Kits do not nest: a component is never itself a kit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError
from seom_desktop.inventory.changes import (
    AppliedChange,
    QohChange,
    Source,
    kit_components,
    refresh_kits,
)
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.products import get_product
from seom_desktop.store.models import KitComponent, Product


@dataclass(frozen=True)
class KitInfo:
    sku: str
    qoh: int
    components: tuple[Line, ...]


def define_kit(
    session: Session, kit_sku: str, components: Sequence[Line], workstation: str
) -> AppliedChange | None:
    """Make ``kit_sku`` a kit of these components (replacing any earlier definition) and set
    its QOH to the derived value; the change (if any) is ledgered as "kit definition" and sent
    to the carts. In the caller's write transaction."""
    if not components:
        raise InputError(f"kit {kit_sku} needs at least one COMPONENT:QTY")
    kit = get_product(session, kit_sku)
    used_in = session.scalar(
        select(Product.sku)
        .join(KitComponent, KitComponent.kit_id == Product.id)
        .where(KitComponent.component_id == kit.id)
        .limit(1)
    )
    if used_in is not None:
        raise InputError(f"{kit.sku} is a component of kit {used_in}; kits cannot contain kits")
    parts: list[tuple[int, int]] = []
    for line in components:
        component = get_product(session, line.sku)
        if component.id == kit.id:
            raise InputError(f"kit {kit.sku} cannot contain itself")
        if component.is_kit:
            raise InputError(f"{component.sku} is a kit; kits cannot contain kits")
        parts.append((component.id, line.quantity))
    session.execute(delete(KitComponent).where(KitComponent.kit_id == kit.id))
    session.add_all(
        KitComponent(kit_id=kit.id, component_id=cid, quantity=qty) for cid, qty in parts
    )
    session.execute(update(Product).where(Product.id == kit.id).values(is_kit=True))
    session.flush()
    changes = refresh_kits(
        session,
        (),
        QohChange(kit.sku, Source.KIT_DEFINITION, delta=0, document=kit.sku),
        workstation,
        kit_ids=[kit.id],
    )
    session.expire(kit)
    return changes[0] if changes else None


def kit_info(session: Session, kit_sku: str) -> KitInfo:
    kit = get_product(session, kit_sku)
    if not kit.is_kit:
        raise InputError(f"{kit.sku} is not a kit")
    return KitInfo(
        kit.sku,
        kit.qoh,
        tuple(Line(sku, qty) for _, sku, qty in kit_components(session, kit.id)),
    )


def list_kits(session: Session) -> list[KitInfo]:
    skus = session.scalars(
        select(Product.sku).where(Product.is_kit.is_(True)).order_by(Product.sku)
    )
    return [kit_info(session, sku) for sku in skus.all()]
