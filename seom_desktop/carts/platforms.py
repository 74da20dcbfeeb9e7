"""What each cart platform can do with inventory.

The declared capabilities decide which buttons and check boxes the screens offer and whether a
QOH change is placed on the web stack for a cart (a platform that cannot take real-time changes
never gets stack rows). Connectors (one module per platform) declare the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from seom_desktop.errors import InputError


@dataclass(frozen=True)
class Capabilities:
    push: bool
    """Send QOH: the cart accepts quantities from the store."""
    pull: bool
    """Get QOH: the cart can list its quantities."""
    realtime: bool
    """The cart can be told of every QOH change as it happens (web stack)."""
    delta: bool
    """Changes are sent as amounts to add or subtract (else only absolute quantities)."""
    idempotent: bool
    """The cart recognises a re-sent change by its key and applies it once."""
    compare_and_set: bool
    """An absolute set can be made conditional on the cart's current quantity."""
    max_batch: int
    """The largest number of items the platform accepts in one request."""
    orders: bool
    """The store can list and import the cart's new orders."""
    in_flight: int = 2
    """Send QOH batches that may be on their way at once. Two let the next batch be built and
    the last answer read while the cart works on one (measured in docs/decisions.md); the
    cart option ``parallel_requests`` can lower it to 1 for a host that wants one at a time."""


@dataclass(frozen=True)
class Platform:
    key: str
    label: str
    capabilities: Capabilities
    notes: str = ""
    """A warning the clerk must read about this platform (shown on the cart's edit form and
    in the Send QOH report); empty when there is none."""


MIVA_BASKET_WARNING = (
    "Miva keeps stock in open shopping baskets: a product's inventory count drops as soon as "
    "a shopper puts it in a basket and goes back up when the basket is emptied or abandoned. "
    "A quantity sent to Miva (Send QOH) does not count the units held in open baskets, so "
    "they would be counted twice once those baskets are emptied. Empty (or wait out) the open "
    "baskets before Send QOH and before turning on inventory synchronization for this cart."
)
"""Miva JSON API documentation (``cart-protocols.md`` section 5): ``Product_Update`` with
``product_inventory`` "does not take into account stock held in open baskets"."""


PLATFORMS: dict[str, Platform] = {
    p.key: p
    for p in (
        Platform(
            "generic",
            "Stone Edge Generic Cart",
            # One request at a time, as SEOM sends: a shop's script may not expect two.
            Capabilities(True, True, True, True, False, False, 500, True, in_flight=1),
        ),
        Platform("shopify", "Shopify", Capabilities(True, True, True, True, True, True, 250, True)),
        Platform(
            "woocommerce",
            "WooCommerce",
            Capabilities(True, True, True, False, False, False, 100, True),
        ),
        Platform(
            "oscar",
            "django-oscar",
            Capabilities(True, True, True, False, False, False, 1, False),
        ),
        Platform(
            "bigcommerce",
            "BigCommerce",
            Capabilities(True, True, True, True, False, False, 2000, True),
        ),
        # Miva: one multicall operation per item (per-item results, and a 206 partial answer
        # can be continued item by item); the documentation gives no operation limit, the
        # request's time budget (X-Miva-API-Timeout) is what ends a long multicall.
        Platform(
            "miva",
            "Miva",
            Capabilities(True, True, True, True, False, False, 100, True),
            notes=MIVA_BASKET_WARNING,
        ),
        # Adobe Commerce caps synchronous arrays at 20 entities where input limits are on: the
        # connector honours the cart option input_limits=true (carts/magento.py). Without
        # them no cap is documented; 500 source items keep one synchronous save short.
        Platform(
            "magento",
            "Magento 2",
            Capabilities(True, True, True, False, False, False, 500, True),
        ),
        Platform(
            "manual",
            "Manual / no-sync channel",
            Capabilities(False, False, False, False, False, False, 0, False),
        ),
    )
}


def platform(key: str) -> Platform:
    found = PLATFORMS.get(key.strip().lower())
    if found is None:
        names = ", ".join(PLATFORMS)
        raise InputError(f"unknown cart platform {key!r}; choose one of {names}")
    return found
