"""The demo store: the embedded default a newcomer sees on first run, with sandbox carts.

:func:`populate_demo` fills an empty store with the demo catalogue. :func:`start_demo_carts`
starts, in this process, a Stone Edge generic cart, a Shopify and a WooCommerce sandbox whose
catalogue is the demo catalogue, and defines (or points again, since their ports change at
every launch) the three demo carts at them, so [Send QOH] works within a minute of installing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from seom_desktop.inventory import products
from seom_desktop.resources import DEMO_CATALOG
from seom_desktop.sandbox import SandboxCart, start_sandbox
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Product

log = logging.getLogger("seom_desktop.demo")


def populate_demo(store: Store, workstation: str) -> bool:
    """Fill an empty store with the demo catalogue. Returns False if it already had products."""
    rows = products.read_product_csv(DEMO_CATALOG)
    with store.write() as session:
        if session.scalar(select(func.count()).select_from(Product)):
            return False
        products.import_products(session, rows, workstation)
    log.info("demo catalogue of %d products added to %s", len(rows), store.display_name)
    return True


@dataclass(frozen=True)
class DemoCart:
    name: str
    platform: str
    user: str
    secret: str
    path: str = ""
    sandbox_options: dict[str, Any] = field(default_factory=dict)


DEMO_CARTS = (
    DemoCart("Demo Generic Cart", "generic", "seom", "seom-sandbox", "/seom.php"),
    DemoCart(
        "Demo Shopify",
        "shopify",
        "sandbox-shop",
        "shpat_sandbox_0123456789abcdef",
        sandbox_options={"cost_limit": False},
    ),
    DemoCart(
        "Demo WooCommerce",
        "woocommerce",
        "ck_sandbox0123456789abcdef0123456789abcdef",
        "cs_sandbox0123456789abcdef0123456789abcdef",
    ),
)


def demo_catalog() -> dict[str, int | None]:
    """The sandboxes' catalogue: the demo catalogue's SKUs and starting quantities."""
    return {row.sku: row.qoh or 0 for row in products.read_product_csv(DEMO_CATALOG)}


def start_demo_carts(store: Store) -> list[SandboxCart]:
    """Start the demo sandboxes and point the demo carts at them (see module docstring).
    Stop the returned sandboxes on exit."""
    catalog = demo_catalog()
    started: list[SandboxCart] = []
    try:
        for demo in DEMO_CARTS:
            started.append(
                start_sandbox(demo.platform, catalog=dict(catalog), **demo.sandbox_options)
            )
        with store.write() as session:
            known = {c.name for c in cart_records.list_carts(session)}
            for demo, sandbox in zip(DEMO_CARTS, started, strict=True):
                url = sandbox.url + demo.path
                if demo.name in known:
                    cart_records.set_cart_fields(session, demo.name, {"url": url})
                else:
                    cart_records.add_cart(
                        session,
                        demo.name,
                        demo.platform,
                        url,
                        username=demo.user,
                        secret=demo.secret,
                    )
    except Exception:
        stop_demo_carts(started)
        raise
    log.info("demo sandbox carts: %s", ", ".join(s.url for s in started))
    return started


def stop_demo_carts(sandboxes: list[SandboxCart]) -> None:
    for sandbox in sandboxes:
        sandbox.stop()
