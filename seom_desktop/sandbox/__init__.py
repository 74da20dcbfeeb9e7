"""Local "sandbox carts": real HTTP servers on 127.0.0.1 that speak one platform's protocol.

Each sandbox is written from the platform's documentation (never from ``seom_desktop.carts``)
and enforces its rules, so a connector that misreads the protocol fails in tests. Platforms:

- ``generic``: the Stone Edge generic cart script (:mod:`.generic`)
- ``shopify``: Shopify Admin GraphQL 2026-04 (:mod:`.shopify`)
- ``woocommerce``: WooCommerce REST v3 (:mod:`.woocommerce`)
- ``bigcommerce``: BigCommerce v3 Inventory + v2 Orders (:mod:`.bigcommerce`)
- ``miva``: Miva JSON API with multicall and baskets (:mod:`.miva`)
- ``magento``: Magento 2 / Adobe Commerce REST with MSI source items (:mod:`.magento`)

Faults (:mod:`.faults`), the catalogue (:mod:`.catalog`) and the server (:mod:`.base`) are
shared. Usage::

    with start_sandbox("shopify", catalog={"A1": 5, "B2": None}) as cart:
        requests.post(cart.url + "/_sandbox/order", json={"lines": [{"sku": "A1", "qty": 2}]})
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from .base import SandboxCart
from .bigcommerce import BigCommerceCart
from .catalog import CatalogSource
from .faults import FaultSpec, parse_faults
from .generic import GenericCart
from .magento import MagentoCart
from .miva import MivaCart
from .shopify import ShopifyCart
from .woocommerce import WooCommerceCart

PLATFORMS: dict[str, type[SandboxCart]] = {
    "generic": GenericCart,
    "shopify": ShopifyCart,
    "woocommerce": WooCommerceCart,
    "bigcommerce": BigCommerceCart,
    "miva": MivaCart,
    "magento": MagentoCart,
}

__all__ = [
    "PLATFORMS",
    "BigCommerceCart",
    "FaultSpec",
    "GenericCart",
    "MagentoCart",
    "MivaCart",
    "SandboxCart",
    "ShopifyCart",
    "WooCommerceCart",
    "create_sandbox",
    "parse_faults",
    "run_sandbox",
    "start_sandbox",
]

log = logging.getLogger("seom_desktop.sandbox")


def create_sandbox(
    platform: str,
    *,
    port: int = 0,
    catalog: CatalogSource = None,
    user: str | None = None,
    secret: str | None = None,
    faults: str | FaultSpec | None = None,
    state_file: str | Path | None = None,
    **options: Any,
) -> SandboxCart:
    """Build (without starting) the sandbox of ``platform``; ``options`` go to its class
    (e.g. ``rate_limit_rps``, ``restore_rate``, ``max_items``, ``variations``,
    ``rate_limit_quota``, ``partial_after``, ``input_limit``)."""
    try:
        cls = PLATFORMS[platform]
    except KeyError:
        raise ValueError(
            f"unknown sandbox platform {platform!r} (choose from {', '.join(PLATFORMS)})"
        ) from None
    return cls(
        port=port,
        catalog=catalog,
        user=user,
        secret=secret,
        faults=faults,
        state_file=state_file,
        **options,
    )


def start_sandbox(
    platform: str,
    *,
    port: int = 0,
    catalog: CatalogSource = None,
    user: str | None = None,
    secret: str | None = None,
    faults: str | FaultSpec | None = None,
    state_file: str | Path | None = None,
    **options: Any,
) -> SandboxCart:
    """Start the sandbox of ``platform`` on a background thread; returns once listening."""
    cart = create_sandbox(
        platform,
        port=port,
        catalog=catalog,
        user=user,
        secret=secret,
        faults=faults,
        state_file=state_file,
        **options,
    )
    return cart.start()


def run_sandbox(
    platform: str,
    *,
    port: int = 0,
    catalog: CatalogSource = None,
    user: str | None = None,
    secret: str | None = None,
    faults: str | FaultSpec | None = None,
    state_file: str | Path | None = None,
    out: TextIO | None = None,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> int:
    """Serve in the foreground until SIGINT/SIGTERM (or ``stop_event``); print the URL and
    credentials first. Returns the process exit code (0)."""
    stream = out if out is not None else sys.stdout
    done = stop_event if stop_event is not None else threading.Event()
    cart = start_sandbox(
        platform,
        port=port,
        catalog=catalog,
        user=user,
        secret=secret,
        faults=faults,
        state_file=state_file,
        **options,
    )
    previous: dict[signal.Signals, Any] = {}

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping the %s sandbox", signum, platform)
        done.set()

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _stop)
    try:
        print(f"{platform} sandbox cart listening on {cart.url}", file=stream)
        for line in cart.describe():
            print(f"  {line}", file=stream)
        print(f"  catalogue: {len(cart.catalog)} SKUs", file=stream)
        spec = cart.faults.spec.to_string()
        print(f"  faults: {spec or 'none'}", file=stream)
        print(
            f"  control: {cart.url}/_sandbox/inventory | order | stats | faults | reset",
            file=stream,
        )
        print("Press Ctrl+C to stop.", file=stream, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        cart.stop()
    return 0
