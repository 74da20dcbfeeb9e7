"""A shop with sandbox carts (the shop_factory fixture), for the stack and screen tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from seom_desktop.inventory import products
from seom_desktop.sandbox import SandboxCart, start_sandbox
from seom_desktop.stack.engine import Event, StackController
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records

CREDENTIALS = {
    "generic": ("seom", "seom-sandbox", "/seom.php"),
    "shopify": ("sandbox-shop", "shpat_sandbox_0123456789abcdef", ""),
    "woocommerce": (
        "ck_sandbox0123456789abcdef0123456789abcdef",
        "cs_sandbox0123456789abcdef0123456789abcdef",
        "",
    ),
    "bigcommerce": ("sbx0store1", "bc_sandbox_token_0123456789abcdef", ""),
    "miva": ("SBX", "miva_sandbox_token_0123456789abcdef", ""),
    "magento": ("", "magento_sandbox_integration_token_0123456789", ""),
}
SANDBOX_OPTIONS: dict[str, dict[str, Any]] = {
    "shopify": {"cost_limit": False},
    # Miva answers 206 after every 2 operations: the connector's Range continuations (and
    # the faults injected into them) are part of every stack test on Miva.
    "miva": {"partial_after": 2},
}


@dataclass
class Shop:
    store: Store
    carts: dict[str, SandboxCart] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def controller(self, workstation: str = "TEST-PC", **kwargs: Any) -> StackController:
        kwargs.setdefault("backoff_base", 0.02)
        kwargs.setdefault("backoff_cap", 0.1)
        kwargs.setdefault("heartbeat_every", 0.2)
        return StackController(self.store, workstation, on_event=self.events.append, **kwargs)

    def cart_qoh(self, name: str) -> dict[str, int | None]:
        return self.carts[name].inventory()


def build_shop(
    store: Store,
    skus: dict[str, int],
    platforms: dict[str, str],
    *,
    faults: dict[str, str] | None = None,
) -> Shop:
    shop = Shop(store)
    with store.write() as session:
        params.set_value(session, "SynchQOH", True)
        for sku, qoh in skus.items():
            products.add_product(session, sku, "TEST-PC", qoh=qoh)
    for name, platform in platforms.items():
        user, secret, path = CREDENTIALS[platform]
        cart = start_sandbox(
            platform,
            catalog=dict(skus),
            faults=(faults or {}).get(name),
            **SANDBOX_OPTIONS.get(platform, {}),
        )
        shop.carts[name] = cart
        with store.write() as session:
            cart_records.add_cart(
                session, name, platform, cart.url + path, username=user, secret=secret
            )
            cart_records.set_sync(session, name, True)
    return shop


@pytest.fixture
def shop_factory(store: Store) -> Iterator[Any]:
    built: list[Shop] = []

    def make(skus: dict[str, int], platforms: dict[str, str], **kwargs: Any) -> Shop:
        shop = build_shop(store, skus, platforms, **kwargs)
        built.append(shop)
        return shop

    yield make
    for shop in built:
        for cart in shop.carts.values():
            cart.stop()
