"""The WooCommerce connector against the WooCommerce REST v3 sandbox."""

from __future__ import annotations

import pytest

from seom_desktop.carts.base import CartError, QohSet
from seom_desktop.carts.woocommerce import WooCommerceConnector

from .helpers import WOO_SECRET, woo_info

CATALOG = {"A1": 10, "B2": 5, "C3": None, "D4": 0, "TEE/S": 3, "TEE/M": None, "TEE/L": 1}


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def test_connection(sandbox) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG)
    with WooCommerceConnector(woo_info(cart)) as conn:
        assert conn.test_connection() == "Connected to Test cart (WooCommerce REST v3, 7 products)"


def test_reads_100_per_page_with_variations(sandbox) -> None:
    catalog = {**{f"P{n:03d}": n for n in range(230)}, **CATALOG}
    cart = sandbox("woocommerce", catalog=catalog, variations=True)
    with WooCommerceConnector(woo_info(cart)) as conn:
        pages = list(conn.iter_qoh())
        assert [len(p) for p in pages] == [
            100,
            100,
            37,
        ]  # 235 products; the variable TEE: 3 variations
        assert {q.sku: q.qoh for p in pages for q in p} == catalog
        assert conn.read_qoh(["A1", "TEE/S", "C3", "NOPE"]) == {"A1": 10, "TEE/S": 3, "C3": None}
    assert cart.stats.operations["GET /products/{id}/variations"] >= 1


def test_reads_only_the_fields_stock_needs(sandbox) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG, variations=True)
    urls: list[str] = []
    sizes: list[int] = []
    with WooCommerceConnector(woo_info(cart)) as conn:
        hooks = conn.http.session.hooks["response"]
        hooks.append(lambda answer, *args, **kwargs: urls.append(answer.url))
        pages = list(conn.iter_qoh())
        assert conn.read_qoh(["A1", "TEE/S"]) == {"A1": 10, "TEE/S": 3}
    assert {q.sku: q.qoh for p in pages for q in p} == CATALOG
    assert len(urls) >= 4  # products, variations, the SKU search, one variation
    for url in urls:
        assert "_fields=id,sku,type,variations,manage_stock,stock_quantity" in url, url
    with WooCommerceConnector(woo_info(cart)) as conn:  # the same reads, every field
        hooks = conn.http.session.hooks["response"]
        hooks.append(lambda answer, *args, **kwargs: sizes.append(len(answer.content)))
        conn.http.request(
            "GET",
            conn.base + "/products",
            mutating=False,
            what="all fields",
            params={"per_page": 100},
            auth=(cart.user, cart.secret),
        )
        conn.http.request(
            "GET",
            conn.base + "/products",
            mutating=False,
            what="stock fields",
            params={
                "per_page": 100,
                "_fields": "id,sku,type,variations,manage_stock,stock_quantity",
            },
            auth=(cart.user, cart.secret),
        )
    assert sizes[1] * 4 < sizes[0]  # a page of stock fields is a fraction of a full one


def test_set_stock_per_item_with_variations(sandbox) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG, variations=True)
    with WooCommerceConnector(woo_info(cart)) as conn:
        results = conn.set_qoh(
            [
                QohSet("A1", 4),
                QohSet("C3", 2),
                QohSet("NOPE", 1),
                QohSet("TEE/S", 8),
                QohSet("TEE/M", 8),
                QohSet("D4", 6),
            ]
        )
    assert statuses(results) == ["ok", "not tracked", "not found", "ok", "not tracked", "ok"]
    assert cart.inventory() == {**CATALOG, "A1": 4, "TEE/S": 8, "D4": 6}
    operations = cart.stats.operations
    assert operations["POST /products/batch"] == 1
    assert operations["POST /products/{id}/variations/batch"] == 1


def test_a_product_deleted_meanwhile_is_not_found_and_the_rest_applies(sandbox) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG)
    with WooCommerceConnector(woo_info(cart)) as conn:
        list(conn.iter_qoh())  # ids cached
        cart.catalog.remove("B2")
        results = conn.set_qoh([QohSet("A1", 1), QohSet("B2", 1), QohSet("D4", 2)])
    assert statuses(results) == ["ok", "not found", "ok"]
    assert results[1].code == "woocommerce_rest_product_invalid_id"
    assert cart.inventory()["D4"] == 2


def test_batch_limit_of_100(sandbox) -> None:
    catalog = {f"P{n:03d}": 0 for n in range(101)}
    cart = sandbox("woocommerce", catalog=catalog)
    with WooCommerceConnector(woo_info(cart, max_items=500)) as conn:
        assert conn.max_batch == 100
        with pytest.raises(ValueError, match="at most 100"):
            conn.set_qoh([QohSet(sku, 1) for sku in catalog])
        assert (
            statuses(conn.set_qoh([QohSet(sku, 1) for sku in list(catalog)[:100]])) == ["ok"] * 100
        )


def test_sandbox_refuses_an_oversized_batch_as_a_whole(sandbox) -> None:
    cart = sandbox("woocommerce", catalog={f"P{n}": 0 for n in range(5)}, batch_limit=3)
    conn = WooCommerceConnector(woo_info(cart))
    with conn, pytest.raises(CartError) as caught:
        conn.set_qoh([QohSet(f"P{n}", 1) for n in range(5)])
    assert caught.value.status == 413
    assert caught.value.transient is False
    assert WOO_SECRET not in str(caught.value)


def test_new_orders(sandbox) -> None:
    cart = sandbox("woocommerce", catalog=CATALOG)
    cart.place_order([("A1", 2), ("B2", 1)])
    cart.place_order([("D4", 1)])
    with WooCommerceConnector(woo_info(cart)) as conn:
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            ("1001", [("A1", 2), ("B2", 1)]),
            ("1002", [("D4", 1)]),
        ]
        assert [o.number for o in conn.new_orders("1001", 10)] == ["1002"]
