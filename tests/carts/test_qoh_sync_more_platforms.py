"""Send QOH / Get QOH end to end on BigCommerce, Miva and Magento: a real store, a sandbox.

The same store and cart as ``test_qoh_sync.py``; what differs per platform is how an
untracked product (C3) shows: BigCommerce refuses to set it and does not list it, Miva lists
it as untracked, and Magento's source items cannot tell (listed at 0, writes ignored).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from seom_desktop.carts.platforms import MIVA_BASKET_WARNING
from seom_desktop.inventory.qoh_sync import SyncStatus, get_qoh, send_qoh
from seom_desktop.sandbox import SandboxCart
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from tests.inventory.helpers import WS, ledger, qoh, stack_rows

from .helpers import BC_STORE_HASH, BC_TOKEN, MAGENTO_TOKEN, MIVA_STORE, MIVA_TOKEN
from .test_qoh_sync import CART, STORE, make_store, web_fields

PLATFORMS = ["bigcommerce", "miva", "magento"]
USERS = {
    "bigcommerce": (BC_STORE_HASH, BC_TOKEN),
    "miva": (MIVA_STORE, MIVA_TOKEN),
    "magento": ("", MAGENTO_TOKEN),
}
# Send QOH: (ok, not found, not tracked, errors)
SEND_COUNTS = {"bigcommerce": (3, 1, 1, 0), "miva": (3, 1, 1, 0), "magento": (4, 1, 0, 0)}
# Get QOH: (ok, not found, not tracked, skipped), C3 in the store afterwards
GET_COUNTS = {
    "bigcommerce": ((3, 1, 0, 1), 7),  # C3 is not listed at all
    "miva": ((3, 1, 1, 1), 7),
    "magento": ((4, 1, 0, 1), 0),  # listed at 0: Magento does not say it is untracked
}


def add_cart(store: Store, cart: SandboxCart, platform: str) -> int:
    user, secret = USERS[platform]
    with store.write() as session:
        info = cart_records.add_cart(
            session, "Web", platform, cart.url, username=user, secret=secret
        )
    return info.id


@pytest.fixture(params=PLATFORMS)
def shop(
    sandbox: Callable[..., SandboxCart], request: pytest.FixtureRequest
) -> tuple[str, SandboxCart]:
    return request.param, sandbox(request.param, catalog=CART)


def test_send_qoh_makes_the_cart_equal_the_store(sqlite_store: Store, shop) -> None:
    platform, cart = shop
    make_store(sqlite_store, STORE)
    add_cart(sqlite_store, cart, platform)
    web_fields(sqlite_store)
    progress: list[tuple[int, int | None]] = []
    report = send_qoh(
        sqlite_store, "Web", WS, max_items=2, progress=lambda d, t: progress.append((d, t))
    )
    assert report.total == 5
    assert (report.sent, report.not_found, report.not_tracked, report.errors) == SEND_COUNTS[
        platform
    ]
    assert report.complete
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert cart.inventory() == {"A1": 3, "B2-WEB": 4, "C3": None, "D4": 12, "E5": 2, "EXTRA": 5}
    rows = {i.sku: i for i in report.items()}
    assert (rows["B2"].cart_sku, rows["B2"].status) == ("B2-WEB", SyncStatus.OK)
    assert rows["LOCAL"].status is SyncStatus.NOT_FOUND
    assert stack_rows(sqlite_store) == []
    warnings = [MIVA_BASKET_WARNING] if platform == "miva" else []
    assert report.warnings == warnings
    assert report.summary()["warnings"] == warnings


def test_get_qoh_makes_the_store_equal_the_cart(sqlite_store: Store, shop) -> None:
    platform, cart = shop
    other_id = make_store(sqlite_store, STORE)
    web_id = add_cart(sqlite_store, cart, platform)
    web_fields(sqlite_store)
    report = get_qoh(sqlite_store, "Web", WS)
    assert report.complete
    counts, c3 = GET_COUNTS[platform]
    assert (report.sent, report.not_found, report.not_tracked, report.skipped) == counts
    assert {sku: qoh(sqlite_store, sku) for sku in STORE} == {
        "A1": 10,
        "B2": 11,
        "C3": c3,
        "D4": 9,  # not synchronized with this cart
        "LOCAL": 1,
        "E5": 13,
    }
    entries = [e for e in ledger(sqlite_store) if e.source == "Get QOH"]
    assert {e.origin_cart_id for e in entries} == {web_id}
    assert {r.cart_id for r in stack_rows(sqlite_store)} == {other_id}  # never back to Web
    assert report.warnings == []
