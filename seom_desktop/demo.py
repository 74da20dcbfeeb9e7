"""The demo store: the embedded default a newcomer sees on first run."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from seom_desktop.inventory import products
from seom_desktop.resources import DEMO_CATALOG
from seom_desktop.store import Store
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
