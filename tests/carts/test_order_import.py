"""Order import against real sandbox carts: a web sale, imported, leaves every cart and the
store equal once the stack has drained; importing again (or twice at once) changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from seom_desktop.errors import InputError
from seom_desktop.inventory import orders
from seom_desktop.store import carts as cart_records
from tests.shops import Shop

SKUS = {"A1": 20, "B2": 15, "C3": 9}
PLATFORMS = ["generic", "shopify", "woocommerce", "bigcommerce", "miva", "magento"]


def web_sale(shop: Shop, cart: str, lines: dict[str, int]) -> str:
    answer = requests.post(
        shop.carts[cart].url + "/_sandbox/order",
        json={"lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()]},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["order"])


def store_qoh(shop: Shop) -> dict[str, int | None]:
    from seom_desktop.inventory.products import list_products

    with shop.store.read() as session:
        return {p.sku: p.qoh for p in list_products(session)}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_web_sale_imported_leaves_every_cart_equal(shop_factory: Any, platform: str) -> None:
    other = "woocommerce" if platform == "shopify" else "shopify"
    shop: Shop = shop_factory(dict(SKUS), {"Web": platform, "Other": other})
    with shop.store.write() as session:  # small batches: the import pages through them
        cart_records.set_cart_fields(session, "Web", {"order_download_batch": "2"})
    numbers = [
        web_sale(shop, "Web", {"A1": 2}),
        web_sale(shop, "Web", {"B2": 1, "C3": 3}),
        web_sale(shop, "Web", {"A1": 1}),
    ]
    report = orders.import_orders(shop.store, "Web", "TEST-PC")
    assert [o.cart_order_number for o in report.imported] == numbers
    assert report.warnings == []
    assert store_qoh(shop) == {"A1": 17, "B2": 14, "C3": 6}
    assert shop.controller().run_once(max_wait=30) == 0
    for name in ("Web", "Other"):
        assert shop.cart_qoh(name) == store_qoh(shop), name

    again = orders.import_orders(shop.store, "Web", "TEST-PC")
    assert again.imported == []
    newer = web_sale(shop, "Web", {"C3": 1})
    latest = orders.import_orders(shop.store, "Web", "TEST-PC")
    assert [o.cart_order_number for o in latest.imported] == [newer]
    assert store_qoh(shop)["C3"] == 5


def test_two_workstations_importing_at_once_lower_qoh_once(shop_factory: Any) -> None:
    shop: Shop = shop_factory(dict(SKUS), {"Web": "generic", "Other": "shopify"})
    for _ in range(6):
        web_sale(shop, "Web", {"A1": 1, "B2": 2})
    reports: list[orders.ImportReport] = []
    failures: list[BaseException] = []

    def import_on(workstation: str) -> None:
        try:
            reports.append(orders.import_orders(shop.store, "Web", workstation))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=import_on, args=(ws,)) for ws in ("PC-1", "PC-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sum(len(r.imported) for r in reports) == 6
    assert store_qoh(shop) == {"A1": 14, "B2": 3, "C3": 9}
    for workstation in ("PC-1", "PC-2"):  # local mode: each sends the rows it made
        assert shop.controller(workstation).run_once(max_wait=30) == 0
    assert shop.cart_qoh("Other") == store_qoh(shop)


def test_an_unknown_sku_is_kept_and_reported(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 5}, {"Web": "generic"})
    shop.carts["Web"].catalog.add("ZZ9", 4)  # a product only the cart has
    web_sale(shop, "Web", {"A1": 1, "ZZ9": 1})
    report = orders.import_orders(shop.store, "Web", "TEST-PC")
    assert len(report.imported) == 1
    assert report.warnings == [
        f"Web order {report.imported[0].cart_order_number}: SKU 'ZZ9' is not in the store; "
        "its QOH was not changed"
    ]
    assert store_qoh(shop) == {"A1": 4}


def test_a_manual_channel_cannot_be_imported_from(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 5}, {})
    with shop.store.write() as session:
        cart_records.add_cart(session, "Phone", "manual", "")
    with pytest.raises(InputError, match="Order Entry"):
        orders.import_orders(shop.store, "Phone", "TEST-PC")
