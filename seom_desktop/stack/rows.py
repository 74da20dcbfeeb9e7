"""Reading the web stack."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError
from seom_desktop.store.carts import get_cart
from seom_desktop.store.models import Cart, StackRow, StackStatus, as_utc

STATUS_CHOICES = ("pending", "sent", "bypassed", "all")


@dataclass(frozen=True)
class StackEntry:
    id: int
    cart: str
    sku: str
    delta: int
    created_at: datetime
    origin_workstation: str
    attempts: int
    last_response: str
    status: str
    idempotency_key: str

    @classmethod
    def from_row(cls, row: StackRow, cart_name: str) -> StackEntry:
        """A snapshot of a web-stack row (plain data, safe to hand to another thread)."""
        return cls(
            id=row.id,
            cart=cart_name,
            sku=row.cart_sku,
            delta=row.delta,
            created_at=row.created_at,
            origin_workstation=row.origin_workstation,
            attempts=row.attempts,
            last_response=row.last_response,
            status=row.status,
            idempotency_key=row.idempotency_key,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = as_utc(self.created_at).isoformat()
        return data


def list_stack(
    session: Session,
    *,
    status: str = "pending",
    cart: str | None = None,
    limit: int | None = None,
) -> list[StackEntry]:
    if status not in STATUS_CHOICES:
        raise InputError(f"status must be one of {', '.join(STATUS_CHOICES)}, not {status!r}")
    query = select(StackRow, Cart.name).join(Cart, Cart.id == StackRow.cart_id)
    if status != "all":
        query = query.where(StackRow.status == StackStatus(status).value)
    if cart is not None:
        query = query.where(StackRow.cart_id == get_cart(session, cart).id)
    query = query.order_by(StackRow.id)
    if limit is not None:
        query = query.limit(limit)
    return [StackEntry.from_row(row, cart_name) for row, cart_name in session.execute(query)]
