"""The Adjust Inventory screen's rules, headless: the reason list and the new quantity.

The screen shows Starting Quantity, Quantity to Add, Quantity to Subtract and New Quantity
(their sum, or typed directly). What is applied follows what the clerk typed: add/subtract
become a delta (so a sale rung up meanwhile on another workstation is not undone); a New
Quantity typed directly is a count and becomes "set to N". Either way the change goes
through :func:`~seom_desktop.inventory.changes.apply_change`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from seom_desktop.errors import InputError
from seom_desktop.inventory.changes import AppliedChange, QohChange, Source, apply_change
from seom_desktop.inventory.products import clean_sku
from seom_desktop.store import params


def check_reason(session: Session, reason: str | None) -> str:
    """The reason as listed in QOHReason (any case), '' for none, or an error naming them."""
    if not reason or not reason.strip():
        return ""
    listed: list[str] = params.get(session, "QOHReason")
    for item in listed:
        if item.casefold() == reason.strip().casefold():
            return item
    raise InputError(f"{reason!r} is not one of the QOHReason reasons: {'; '.join(listed)}")


def new_quantity(starting: int, add: int, subtract: int) -> int:
    """Starting + Add - Subtract; refused when it would go below zero."""
    result = starting + add - subtract
    if result < 0:
        raise InputError(
            f"the new quantity would be {result}: you cannot subtract more than the "
            f"{starting + add} on hand"
        )
    return result


@dataclass(frozen=True)
class Adjustment:
    """What the clerk entered on Adjust Inventory."""

    sku: str
    add: int = 0
    subtract: int = 0
    set_to: int | None = None
    """New Quantity typed directly (a count): set the QOH to this, ignoring add/subtract."""
    reason: str = ""
    send_to_web: bool = True


def adjust(session: Session, adjustment: Adjustment, workstation: str) -> AppliedChange:
    """Apply an Adjust Inventory entry inside the caller's write transaction."""
    sku = clean_sku(adjustment.sku)
    if adjustment.add < 0 or adjustment.subtract < 0:
        raise InputError("Quantity to Add and Quantity to Subtract cannot be negative")
    reason = check_reason(session, adjustment.reason)
    if adjustment.set_to is not None:
        change = QohChange(
            sku=sku,
            source=Source.MANUAL_ADJUSTMENT,
            set_to=adjustment.set_to,
            reason=reason,
            send_to_web=adjustment.send_to_web,
        )
    else:
        change = QohChange(
            sku=sku,
            source=Source.MANUAL_ADJUSTMENT,
            delta=adjustment.add - adjustment.subtract,
            reason=reason,
            send_to_web=adjustment.send_to_web,
        )
    return apply_change(session, change, workstation)
