"""Small builders for inventory tests."""

from __future__ import annotations

from sqlalchemy import select

from seom_desktop.inventory import products
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import LedgerEntry, StackRow

WS = "TEST-PC"


def make_shop(
    store: Store,
    skus: dict[str, int],
    carts: dict[str, str] | None = None,
    *,
    synch: bool = True,
    sync_carts: bool = True,
) -> dict[str, int]:
    """Products with their QOH, carts (name -> platform) with Synchronize Inventory ticked.
    Returns cart name -> id."""
    carts = {"Shopify": "shopify", "Woo": "woocommerce"} if carts is None else carts
    ids = {}
    with store.write() as session:
        params.set_value(session, "SynchQOH", synch)
        for sku, qoh in skus.items():
            products.add_product(session, sku, WS, name=f"Product {sku}", qoh=qoh)
        for name, platform in carts.items():
            info = cart_records.add_cart(session, name, platform, f"https://{name.lower()}.test")
            if sync_carts and platform != "manual":
                cart_records.set_sync(session, name, True)
            ids[name] = info.id
    return ids


def stack_rows(store: Store) -> list[StackRow]:
    with store.read() as session:
        return list(session.scalars(select(StackRow).order_by(StackRow.id)))


def ledger(store: Store) -> list[LedgerEntry]:
    with store.read() as session:
        return list(session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return products.product_info(session, sku).qoh
