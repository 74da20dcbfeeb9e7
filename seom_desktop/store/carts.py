"""Cart definitions (the Shopping Carts screen's records)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seom_desktop.carts.platforms import platform
from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.store.models import Cart, SendState, StackRow, StackSend, StackStatus

REDACTED = "********"


@dataclass(frozen=True)
class CartInfo:
    """A snapshot of a cart definition, safe to hand to another thread. ``secret`` is kept
    out of ``repr`` and out of :meth:`public`."""

    id: int
    name: str
    platform: str
    url: str
    username: str
    secret: str = field(repr=False)
    options: dict[str, str]
    sync_inventory: bool
    active: bool
    order_download_batch: int
    max_items_per_send: int

    def public(self) -> dict[str, Any]:
        """The definition as it may be printed or logged: the secret redacted."""
        return {
            "id": self.id,
            "name": self.name,
            "platform": self.platform,
            "url": self.url,
            "username": self.username,
            "secret": REDACTED if self.secret else "",
            "options": dict(self.options),
            "sync_inventory": self.sync_inventory,
            "active": self.active,
            "order_download_batch": self.order_download_batch,
            "max_items_per_send": self.max_items_per_send,
        }


def snapshot(cart: Cart) -> CartInfo:
    return CartInfo(
        id=cart.id,
        name=cart.name,
        platform=cart.platform,
        url=cart.url,
        username=cart.username,
        secret=cart.secret,
        options=dict(json.loads(cart.options or "{}")),
        sync_inventory=cart.sync_inventory,
        active=cart.active,
        order_download_batch=cart.order_download_batch,
        max_items_per_send=cart.max_items_per_send,
    )


def get_cart(session: Session, name: str) -> Cart:
    cart = session.scalar(select(Cart).where(func.lower(Cart.name) == name.strip().lower()))
    if cart is None:
        known = ", ".join(session.scalars(select(Cart.name).order_by(Cart.name))) or "none yet"
        raise NotFoundError(f"there is no cart called {name!r} (carts: {known})")
    return cart


def list_carts(session: Session) -> list[CartInfo]:
    return [snapshot(c) for c in session.scalars(select(Cart).order_by(Cart.name))]


def _positive(value: object, what: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(f"{what} must be a whole number, not {value!r}") from None
    if number < 1:
        raise InputError(f"{what} must be at least 1, not {number}")
    return number


def _flag(value: object, what: str) -> bool:
    text = str(value).strip().lower()
    if text in {"on", "true", "yes", "1"}:
        return True
    if text in {"off", "false", "no", "0"}:
        return False
    raise InputError(f"{what} takes on or off, not {value!r}")


def add_cart(
    session: Session,
    name: str,
    platform_key: str,
    url: str,
    *,
    username: str = "",
    secret: str = "",
    options: dict[str, str] | None = None,
    active: bool = True,
) -> CartInfo:
    name = name.strip()
    if not name:
        raise InputError("a cart needs a name")
    found = platform(platform_key)
    exists = session.scalar(select(Cart.id).where(func.lower(Cart.name) == name.lower()))
    if exists is not None:
        raise InputError(f"a cart called {name!r} already exists")
    cart = Cart(
        name=name,
        platform=found.key,
        url=url.strip(),
        username=username,
        secret=secret,
        options=json.dumps(options or {}, sort_keys=True),
        active=active,
        sync_inventory=False,
    )
    session.add(cart)
    session.flush()
    return snapshot(cart)


def set_sync(session: Session, name: str, on: bool) -> CartInfo:
    """Tick or clear Synchronize Inventory. Refused for a platform that cannot take
    real-time changes."""
    cart = get_cart(session, name)
    if on and not platform(cart.platform).capabilities.realtime:
        raise InputError(
            f"{cart.name} is a {platform(cart.platform).label} cart, which cannot take "
            "real-time inventory changes"
        )
    cart.sync_inventory = on
    session.flush()
    return snapshot(cart)


SETTABLE = (
    "name",
    "platform",
    "url",
    "user",
    "secret",
    "active",
    "sync",
    "order_download_batch",
    "max_items",
    "option.<key>",
)


def set_cart_fields(session: Session, name: str, assignments: dict[str, str]) -> CartInfo:
    """Change fields of a cart from ``key=value`` pairs (see :data:`SETTABLE`)."""
    cart = get_cart(session, name)
    options = dict(json.loads(cart.options or "{}"))
    sync_value: bool | None = None
    for key, value in assignments.items():
        k = key.strip().lower()
        if k == "name":
            new = value.strip()
            if not new:
                raise InputError("a cart needs a name")
            clash = session.scalar(
                select(Cart.id).where(func.lower(Cart.name) == new.lower(), Cart.id != cart.id)
            )
            if clash is not None:
                raise InputError(f"a cart called {new!r} already exists")
            cart.name = new
        elif k == "platform":
            cart.platform = platform(value).key
        elif k == "url":
            cart.url = value.strip()
        elif k in ("user", "username"):
            cart.username = value
        elif k in ("secret", "password"):
            cart.secret = value
        elif k == "active":
            cart.active = _flag(value, "active")
        elif k == "sync":
            sync_value = _flag(value, "sync")
        elif k == "order_download_batch":
            cart.order_download_batch = _positive(value, "order_download_batch")
        elif k in ("max_items", "max_items_per_send"):
            cart.max_items_per_send = _positive(value, "max_items")
        elif k.startswith("option."):
            opt = key.strip()[len("option.") :]
            if not opt:
                raise InputError("option.<key> needs a key")
            if value == "":
                options.pop(opt, None)
            else:
                options[opt] = value
        else:
            raise InputError(f"a cart has no field {key!r}; use one of {', '.join(SETTABLE)}")
    cart.options = json.dumps(options, sort_keys=True)
    session.flush()
    if sync_value is not None:
        return set_sync(session, cart.name, sync_value)
    return snapshot(cart)


def delete_cart(session: Session, name: str) -> int:
    """Delete a cart definition with its web fields and web-stack rows (the database
    cascades). Refused while a send to the cart is in flight or in doubt. Returns the number
    of pending stack rows that were dropped with it."""
    cart = get_cart(session, name)
    busy = session.scalar(
        select(func.count())
        .select_from(StackSend)
        .where(
            StackSend.cart_id == cart.id,
            StackSend.state.in_([SendState.SENDING.value, SendState.IN_DOUBT.value]),
        )
    )
    if busy:
        raise InputError(
            f"changes are being sent to {cart.name} right now (or their answer is being "
            "checked); try again in a minute"
        )
    pending = int(
        session.scalar(
            select(func.count())
            .select_from(StackRow)
            .where(StackRow.cart_id == cart.id, StackRow.status == StackStatus.PENDING.value)
        )
        or 0
    )
    session.execute(sa_delete(Cart).where(Cart.id == cart.id))
    session.expunge(cart)
    return pending


def pending_count(session: Session, name: str) -> int:
    """Pending web-stack rows of a cart (what deleting it would drop)."""
    cart = get_cart(session, name)
    return int(
        session.scalar(
            select(func.count())
            .select_from(StackRow)
            .where(StackRow.cart_id == cart.id, StackRow.status == StackStatus.PENDING.value)
        )
        or 0
    )
