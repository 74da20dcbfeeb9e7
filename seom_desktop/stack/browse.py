"""Reading the web stack page by page, for the Stack Controller screen (headless, read-only).

:func:`stack_page` pages by row id (keyset), so the 100th page costs what the first does;
:func:`rows_by_id` re-reads the rows a screen shows, so it can update them in place instead of
reloading everything; :func:`sends_per_minute` feeds the screen's small activity chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError
from seom_desktop.stack.rows import STATUS_CHOICES, StackEntry
from seom_desktop.store.models import (
    Cart,
    StackRow,
    StackStatus,
    Workstation,
    as_utc,
    utcnow,
)


@dataclass(frozen=True)
class StackFilter:
    status: str = "pending"
    """pending, sent, bypassed or all"""
    workstation: str | None = None
    """Only rows that originated on this PC (None: every PC)."""
    cart: str | None = None
    """Only rows for the cart of this name (None: every cart)."""

    def __post_init__(self) -> None:
        if self.status not in STATUS_CHOICES:
            raise InputError(
                f"status must be one of {', '.join(STATUS_CHOICES)}, not {self.status!r}"
            )


def _where(flt: StackFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if flt.status != "all":
        clauses.append(StackRow.status == StackStatus(flt.status).value)
    if flt.workstation is not None:
        clauses.append(StackRow.origin_workstation == flt.workstation)
    if flt.cart is not None:
        clauses.append(func.lower(Cart.name) == flt.cart.strip().lower())
    return clauses


def _entries(session: Session, query: object) -> list[StackEntry]:
    return [
        StackEntry.from_row(row, cart_name)
        for row, cart_name in session.execute(query)  # type: ignore[call-overload]
    ]


def stack_page(
    session: Session, flt: StackFilter, *, after_id: int = 0, limit: int = 1000
) -> list[StackEntry]:
    """Rows matching ``flt`` with an id above ``after_id``, oldest first."""
    query = (
        select(StackRow, Cart.name)
        .join(Cart, Cart.id == StackRow.cart_id)
        .where(StackRow.id > after_id, *_where(flt))
        .order_by(StackRow.id)
        .limit(limit)
    )
    return _entries(session, query)


def count_stack(session: Session, flt: StackFilter) -> int:
    query = (
        select(func.count())
        .select_from(StackRow)
        .join(Cart, Cart.id == StackRow.cart_id)
        .where(*_where(flt))
    )
    return int(session.scalar(query) or 0)


def rows_by_id(session: Session, ids: Sequence[int]) -> dict[int, StackEntry | None]:
    """The current state of these rows (None for a row deleted meanwhile)."""
    found: dict[int, StackEntry | None] = dict.fromkeys(ids)
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        query = (
            select(StackRow, Cart.name)
            .join(Cart, Cart.id == StackRow.cart_id)
            .where(StackRow.id.in_(chunk))
        )
        for entry in _entries(session, query):
            found[entry.id] = entry
    return found


def sends_per_minute(session: Session, minutes: int = 30) -> list[int]:
    """Rows sent in each of the last ``minutes`` minutes, oldest minute first."""
    now = utcnow()
    since = now - timedelta(minutes=minutes)
    counts = [0] * minutes
    sent = session.scalars(
        select(StackRow.sent_at).where(StackRow.sent_at.is_not(None), StackRow.sent_at >= since)
    )
    for moment in sent:
        if moment is None:
            continue
        age = (now - as_utc(moment)).total_seconds() / 60.0
        index = minutes - 1 - int(age)
        if 0 <= index < minutes:
            counts[index] += 1
    return counts


def is_paused(session: Session, workstation: str) -> bool:
    """Whether sending is paused on this workstation (the Stack Controller's Pause)."""
    return bool(session.scalar(select(Workstation.paused).where(Workstation.name == workstation)))
