"""Send QOH / Get QOH end to end: a real store and a sandbox cart of each platform."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from seom_desktop.carts.base import CartError, ItemResult, QohSet
from seom_desktop.carts.woocommerce import WooCommerceConnector
from seom_desktop.errors import InputError
from seom_desktop.inventory import products
from seom_desktop.inventory.qoh_sync import SyncReport, SyncStatus, get_qoh, send_qoh
from seom_desktop.sandbox import SandboxCart
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.carts import CartInfo
from seom_desktop.store.models import StackRow
from tests.inventory.helpers import WS, ledger, qoh, stack_rows

from .helpers import GENERIC_SECRET, GENERIC_USER, SHOPIFY_TOKEN, WOO_KEY, WOO_SECRET, woo_info

PLATFORMS = ["generic", "shopify", "woocommerce"]
STORE = {"A1": 3, "B2": 4, "C3": 7, "D4": 9, "LOCAL": 1, "E5": 2}
CART = {"A1": 10, "B2-WEB": 11, "C3": None, "D4": 12, "E5": 13, "EXTRA": 5}


def add_cart(
    store: Store, name: str, cart: SandboxCart, platform: str, *, sync: bool = False
) -> int:
    url, user, secret = {
        "generic": (cart.url + "/seom.php", GENERIC_USER, GENERIC_SECRET),
        "shopify": (cart.url, "sandbox-shop", SHOPIFY_TOKEN),
        "woocommerce": (cart.url, WOO_KEY, WOO_SECRET),
    }[platform]
    with store.write() as session:
        info = cart_records.add_cart(session, name, platform, url, username=user, secret=secret)
        if sync:
            cart_records.set_sync(session, name, True)
    return info.id


def make_store(store: Store, items: dict[str, int], *, synch: bool = True) -> int:
    """Products, SynchQOH, and an "Other" cart with Synchronize Inventory ticked."""
    with store.write() as session:
        params.set_value(session, "SynchQOH", synch)
        for sku, q in items.items():
            products.add_product(session, sku, WS, name=f"Product {sku}", qoh=q)
        other = cart_records.add_cart(session, "Other", "generic", "https://other.test/seom.php")
        cart_records.set_sync(session, "Other", True)
    return other.id


def web_fields(store: Store) -> None:
    with store.write() as session:
        products.set_web_fields(session, "B2", "Web", cart_sku="B2-WEB")
        products.set_web_fields(session, "D4", "Web", sync_qoh=False)


@pytest.fixture
def shop(
    sandbox: Callable[..., SandboxCart], request: pytest.FixtureRequest
) -> tuple[str, SandboxCart]:
    platform = request.param
    return platform, sandbox(
        platform, catalog=CART, cost_limit=False
    ) if platform == "shopify" else sandbox(platform, catalog=CART)


@pytest.mark.parametrize("shop", PLATFORMS, indirect=True)
def test_send_qoh_makes_the_cart_equal_the_store(sqlite_store: Store, shop) -> None:
    platform, cart = shop
    make_store(sqlite_store, STORE)
    add_cart(sqlite_store, "Web", cart, platform)
    web_fields(sqlite_store)
    progress: list[tuple[int, int | None]] = []
    report = send_qoh(
        sqlite_store, "Web", WS, max_items=2, progress=lambda d, t: progress.append((d, t))
    )
    assert report.total == 5  # D4 is not synchronized with this cart
    assert (report.sent, report.not_found, report.not_tracked, report.errors) == (3, 1, 1, 0)
    assert report.complete
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert cart.inventory() == {"A1": 3, "B2-WEB": 4, "C3": None, "D4": 12, "E5": 2, "EXTRA": 5}
    rows = {i.sku: i for i in report.items()}
    assert (rows["B2"].cart_sku, rows["B2"].store_qoh, rows["B2"].status) == (
        "B2-WEB",
        4,
        SyncStatus.OK,
    )
    assert rows["LOCAL"].status is SyncStatus.NOT_FOUND
    assert rows["C3"].status is SyncStatus.NOT_TRACKED
    assert stack_rows(sqlite_store) == []  # sending changes nothing in the store


@pytest.mark.parametrize("shop", PLATFORMS, indirect=True)
def test_get_qoh_makes_the_store_equal_the_cart(store: Store, shop) -> None:
    platform, cart = shop
    other_id = make_store(store, STORE)
    web_id = add_cart(store, "Web", cart, platform)
    web_fields(store)
    report = get_qoh(store, "Web", WS)
    assert report.complete
    assert {sku: qoh(store, sku) for sku in STORE} == {
        "A1": 10,
        "B2": 11,
        "C3": 7,  # the cart does not track it: reported, not applied
        "D4": 9,  # not synchronized with this cart
        "LOCAL": 1,
        "E5": 13,
    }
    assert (report.sent, report.not_found, report.not_tracked, report.skipped) == (3, 1, 1, 1)
    assert report.changed == 3
    missing = [i for i in report.items() if i.status is SyncStatus.NOT_FOUND]
    assert [(i.sku, i.cart_sku, i.cart_qoh) for i in missing] == [("", "EXTRA", 5)]
    entries = [e for e in ledger(store) if e.source == "Get QOH"]
    assert sorted((e.sku, e.delta) for e in entries) == [("A1", 7), ("B2", 7), ("E5", 11)]
    assert {e.origin_cart_id for e in entries} == {web_id}
    rows: list[StackRow] = stack_rows(store)
    assert sorted((r.cart_sku, r.delta) for r in rows) == [("A1", 7), ("B2", 7), ("E5", 11)]
    assert {r.cart_id for r in rows} == {other_id}  # never back to the cart it came from


def test_get_qoh_creates_new_products_when_asked(sqlite_store: Store, sandbox) -> None:
    cart = sandbox("generic", catalog=CART)
    make_store(sqlite_store, {"A1": 1})
    web_id = add_cart(sqlite_store, "Web", cart, "generic")
    report = get_qoh(sqlite_store, "Web", WS, create_new=True)
    assert report.created == 5
    assert {sku: qoh(sqlite_store, sku) for sku in CART} == {
        "A1": 10,
        "B2-WEB": 11,
        "C3": 0,
        "D4": 12,
        "E5": 13,
        "EXTRA": 5,
    }
    extra = [e for e in ledger(sqlite_store) if e.sku == "EXTRA"]
    assert [(e.source, e.delta, e.origin_cart_id) for e in extra] == [("Get QOH", 5, web_id)]
    rows = {i.cart_sku: i for i in report.items()}
    assert rows["EXTRA"].message == "new product; 0 -> 5"
    assert rows["C3"].status is SyncStatus.NOT_TRACKED


def test_both_buttons_refuse_while_real_time_sync_is_on(sqlite_store: Store, sandbox) -> None:
    cart = sandbox("generic", catalog=CART)
    make_store(sqlite_store, STORE)
    web_id = add_cart(sqlite_store, "Web", cart, "generic", sync=True)
    for run in (send_qoh, get_qoh):
        with pytest.raises(InputError, match="initial synchronization"):
            run(sqlite_store, "Web", WS)
    assert cart.stats.requests == 0
    report = get_qoh(sqlite_store, "Web", WS, force=True)
    assert report.changed == 3  # A1, D4 and E5 (no web fields here: B2 is not on the cart)
    assert web_id not in {r.cart_id for r in stack_rows(sqlite_store)}
    with sqlite_store.write() as session:
        params.set_value(session, "SynchQOH", False)
    assert send_qoh(sqlite_store, "Web", WS).complete  # SynchQOH FALSE: allowed


def test_cancel_between_batches_and_csv(sqlite_store: Store, sandbox, tmp_path: Path) -> None:
    cart = _ten_products(sqlite_store, sandbox)
    seen: list[int] = []
    report = _send_in_threes(sqlite_store, seen, cancel=lambda: len(seen) >= 2)
    assert report.cancelled and not report.complete
    # The 3rd batch was already on its way when the 2nd was reported (two in flight): it is
    # reported too, and nothing after it was sent.
    assert seen == [3, 6, 9]
    assert sum(1 for q in cart.inventory().values() if q) == 9
    path = report.to_csv(tmp_path / "report.csv")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 9
    assert rows[0] == {
        "sku": "P0",
        "cart_sku": "P0",
        "store_qoh": "1",
        "status": "ok",
        "message": "",
        "cart_qoh": "1",
    }


def test_a_cart_that_fails_stops_the_run_with_a_reason(sqlite_store: Store, sandbox) -> None:
    cart = sandbox("generic", catalog=CART, faults="error500=1")
    make_store(sqlite_store, STORE)
    add_cart(sqlite_store, "Web", cart, "generic")
    report = send_qoh(sqlite_store, "Web", WS)
    assert report.aborted is not None and "HTTP 500" in report.aborted
    assert report.errors == 6
    assert cart.stats.requests == 2  # the batch was sent once more, then the run stopped
    report = get_qoh(sqlite_store, "Web", WS)
    assert report.aborted is not None
    assert GENERIC_SECRET not in report.aborted


def test_thousands_of_products_stream_in_pages(sqlite_store: Store, sandbox) -> None:
    catalog = {f"S{n:05d}": 0 for n in range(2500)}
    cart = sandbox("generic", catalog=catalog)
    make_store(sqlite_store, {sku: n % 17 for n, sku in enumerate(catalog)})
    with sqlite_store.write() as session:
        cart_records.add_cart(
            session,
            "Web",
            "generic",
            cart.url + "/seom.php",
            username=GENERIC_USER,
            secret=GENERIC_SECRET,
        )
        cart_records.set_cart_fields(session, "Web", {"max_items": "500"})
    batches: list[int] = []
    report = send_qoh(sqlite_store, "Web", WS, progress=lambda d, t: batches.append(d))
    assert report.sent == 2500
    assert batches == [500, 1000, 1500, 2000, 2500]
    assert cart.inventory() == {sku: n % 17 for n, sku in enumerate(catalog)}


class _Watched(WooCommerceConnector):
    """A real WooCommerce connector that records how many batches were on their way at once,
    holds the 2nd batch until the 3rd has started (two in flight, for certain) and can fail
    one chosen batch as the cart would."""

    def __init__(self, cart: CartInfo, fail_call: int | None = None) -> None:
        super().__init__(cart)
        self.fail_call = fail_call
        self.lock = threading.Lock()
        self.calls = 0
        self.active = 0
        self.peak = 0
        self.third_started = threading.Event()

    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        with self.lock:
            call = self.calls = self.calls + 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if call == 3:
                self.third_started.set()
            if call == 2:
                assert self.third_started.wait(10), "the 3rd batch never started"
            if call == self.fail_call:
                raise CartError("Web: the cart refused the batch (HTTP 400)", transient=False)
            return super().set_qoh(items)
        finally:
            with self.lock:
                self.active -= 1


def _send_in_threes(store: Store, seen: list[int], **options: Any) -> SyncReport:
    """Send QOH to "Web" in batches of 3, noting each progress report's count in ``seen``."""
    return send_qoh(store, "Web", WS, max_items=3, progress=lambda d, t: seen.append(d), **options)


def _ten_products(store: Store, sandbox) -> SandboxCart:
    cart = sandbox("woocommerce", catalog={f"P{n}": 0 for n in range(10)})
    make_store(store, {f"P{n}": n + 1 for n in range(10)})
    add_cart(store, "Web", cart, "woocommerce")
    return cart


def test_two_batches_are_on_their_way_at_once_and_reported_in_order(
    sqlite_store: Store, sandbox
) -> None:
    cart = _ten_products(sqlite_store, sandbox)
    watched = _Watched(woo_info(cart))
    seen: list[int] = []
    report = _send_in_threes(sqlite_store, seen, connector=watched)
    assert watched.peak == 2  # never more than the platform's in_flight
    assert report.complete and report.sent == 10
    assert seen == [3, 6, 9, 10]
    assert [i.sku for i in report.items()] == [f"P{n}" for n in range(10)]
    assert cart.inventory() == {f"P{n}": n + 1 for n in range(10)}


def test_a_failed_batch_stops_the_run_and_the_batch_already_sent_is_reported(
    sqlite_store: Store, sandbox
) -> None:
    cart = _ten_products(sqlite_store, sandbox)
    # Batch 2 fails while batch 3 is already on its way: batch 3 reaches the cart, so the
    # report must say so rather than call it not sent.
    watched = _Watched(woo_info(cart), fail_call=2)
    report = send_qoh(sqlite_store, "Web", WS, max_items=3, connector=watched)
    assert report.aborted is not None and "HTTP 400" in report.aborted
    rows = {i.sku: i.status for i in report.items()}
    assert len(rows) == 9 and watched.calls == 3  # nothing sent after the failure
    sent = {sku for sku, status in rows.items() if status is SyncStatus.OK}
    assert sent == {"P0", "P1", "P2", "P6", "P7", "P8"}
    assert {rows[s] for s in ("P3", "P4", "P5")} == {SyncStatus.ERROR}
    assert {s for s, q in cart.inventory().items() if q} == sent


def test_parallel_requests_option_sends_one_batch_at_a_time(sqlite_store: Store, sandbox) -> None:
    cart = _ten_products(sqlite_store, sandbox)
    single = _Watched(woo_info(cart, parallel_requests="1"))
    single.third_started.set()  # nothing to wait for: one batch at a time
    report = send_qoh(sqlite_store, "Web", WS, max_items=3, connector=single)
    assert report.sent == 10 and single.peak == 1
