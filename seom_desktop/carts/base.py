"""The one interface every cart connector implements.

A connector talks to one cart over that platform's own protocol. It is built from a
:class:`~seom_desktop.store.carts.CartInfo` snapshot (never a live ORM object), owns one HTTP
session (pooling, timeouts, the cart's rate limiter) and may be used from one thread at a time.

Every batch call answers per item: one bad SKU never fails the rest of its batch. A failure of
the whole request (cart down, timeout, 5xx, 429, malformed answer) raises :class:`CartError`,
whose message is safe to show a clerk and to store as a stack row's Last Response (it never
contains a secret).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from seom_desktop.carts.platforms import Capabilities
from seom_desktop.errors import SeomError
from seom_desktop.store.carts import CartInfo


class ItemStatus(enum.StrEnum):
    OK = "ok"
    NOT_FOUND = "not found"
    NOT_TRACKED = "not tracked"
    ERROR = "error"


# The per-item values below are NamedTuples, not frozen dataclasses: a run makes one or more
# per product (100,000s), and a frozen dataclass costs about four times as much to build.
class ItemResult(NamedTuple):
    sku: str
    status: ItemStatus
    message: str = ""
    """Why, for NOT_FOUND / NOT_TRACKED / ERROR (the cart's own words where it gave any)."""
    cart_qoh: int | None = None
    """The cart's quantity after the change, when the cart reported it."""
    code: str = ""
    """The cart's machine-readable reason when it gave one (a Shopify userError code such as
    ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` or ``CHANGE_FROM_QUANTITY_STALE``, a WooCommerce
    error code), so the caller can act on it without parsing the message."""
    transient: bool = False
    """For ERROR: worth retrying this item later, unchanged (same idempotency key), because
    the failure was the cart's or the network's, not the item's."""
    applied_unknown: bool = False
    """For ERROR: this item's request was sent but no answer came back, so the change may have
    been applied (see :attr:`CartError.applied_unknown`)."""


def stopped_at(exc: CartError, sku: str, rest: Sequence[str]) -> list[ItemResult]:
    """Results when a cart that takes one request per item fails part-way through a batch:
    the item whose request failed carries the error's flags (in doubt when the answer was
    lost), and the items after it were not sent at all."""
    failed = ItemResult(
        sku,
        ItemStatus.ERROR,
        str(exc),
        transient=exc.transient,
        applied_unknown=exc.applied_unknown,
    )
    not_sent = [
        ItemResult(
            other,
            ItemStatus.ERROR,
            "not sent: an earlier change to this cart failed",
            transient=True,
        )
        for other in rest
    ]
    return [failed, *not_sent]


class QohSet(NamedTuple):
    """Set a product's quantity on the cart (Send QOH; absolute-only carts in real time)."""

    sku: str
    quantity: int
    expected: int | None = None
    """Compare-and-set: apply only if the cart still has this quantity (when supported)."""
    key: str | None = None
    """Idempotency key (when supported); reused unchanged when the same set is retried."""


class QohDelta(NamedTuple):
    """Add (or subtract) an amount on the cart (real-time changes on delta carts)."""

    sku: str
    delta: int
    key: str
    """Idempotency key: the web-stack row's key, reused unchanged on every retry."""


class CartQoh(NamedTuple):
    """One product as the cart lists it. ``qoh`` is None when the cart does not track it."""

    sku: str
    qoh: int | None


@dataclass(frozen=True)
class CartOrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class CartOrder:
    number: str
    lines: tuple[CartOrderLine, ...]


class CartError(SeomError):
    """A request to a cart failed as a whole. Safe to show and to store (no secrets)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        transient: bool = True,
        retry_after: float | None = None,
        applied_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient
        """Worth retrying later (timeouts, 5xx, 429, dropped connections)."""
        self.retry_after = retry_after
        """Seconds the cart asked us to wait (Retry-After, throttle status), if any."""
        self.applied_unknown = applied_unknown
        """The request may have been applied although no answer came back (a timeout or
        connection lost after sending). The stack controller must establish what happened
        before re-sending a change that has no idempotency key."""


class Connector(abc.ABC):
    """One cart, one platform protocol."""

    platform: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(self, cart: CartInfo, *, timeout: float = 30.0) -> None:
        self.cart = cart
        self.timeout = timeout

    @property
    def max_batch(self) -> int:
        """Items per request: the platform's limit, capped by the cart's own option."""
        return max(1, min(self.capabilities.max_batch, self.cart.max_items_per_send))

    @property
    def in_flight(self) -> int:
        """Send QOH batches on their way at once: the platform's number, or fewer when the
        cart option ``parallel_requests`` says so."""
        wanted = self.capabilities.in_flight
        raw = str(self.cart.options.get("parallel_requests", "")).strip()
        if raw.isdigit():
            wanted = min(wanted, int(raw))
        return max(1, wanted)

    @abc.abstractmethod
    def test_connection(self) -> str:
        """Check URL and credentials; a short human answer ("Connected to ... (version x)")."""

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        """Every product the cart lists, a page at a time, as the platform pages it."""
        raise NotImplementedError(f"{self.platform} carts cannot list their QOH")

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        """The cart's current QOH of these SKUs (missing = not on the cart)."""
        raise NotImplementedError(f"{self.platform} carts cannot read QOH")

    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """Absolute quantities; at most :attr:`max_batch` items; one result per item."""
        raise NotImplementedError(f"{self.platform} carts cannot take QOH")

    def adjust_qoh(self, items: Sequence[QohDelta]) -> list[ItemResult]:
        """Relative changes; at most :attr:`max_batch` items; one result per item."""
        raise NotImplementedError(f"{self.platform} carts cannot take QOH changes")

    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """Orders placed after the order number ``after`` (None: all)."""
        raise NotImplementedError(f"{self.platform} carts cannot list orders")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the HTTP session."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
