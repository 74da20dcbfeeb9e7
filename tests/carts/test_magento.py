"""The Magento 2 (MSI) connector against the Magento REST sandbox."""

from __future__ import annotations

import pytest

from seom_desktop.carts.base import CartError, QohSet
from seom_desktop.carts.magento import MagentoConnector
from seom_desktop.carts.registry import connector_for

from .helpers import MAGENTO_TOKEN, cart_info, magento_info

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def gets(cart) -> int:
    return cart.stats.operations["GET /V1/inventory/source-items"]


def posts(cart) -> int:
    return cart.stats.operations["POST /V1/inventory/source-items"]


def test_connection_and_registry(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG)
    with connector_for(magento_info(cart)) as conn:
        assert isinstance(conn, MagentoConnector)
        assert conn.base == cart.url + "/rest/V1"
        assert conn.test_connection() == (
            "Connected to Test cart (Magento 2 REST, source 'default': 5 source items)"
        )
    for url in (cart.url + "/rest/default/V1", cart.url + "/rest/all"):
        conn = MagentoConnector(cart_info("magento", url, "", MAGENTO_TOKEN))
        assert "source items" in conn.test_connection()
        conn.close()


def test_a_wrong_token_is_refused_and_never_shown(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG, secret=MAGENTO_TOKEN + "x")
    with MagentoConnector(magento_info(cart)) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 401 and caught.value.transient is False
    assert MAGENTO_TOKEN not in str(caught.value)


def test_reads_stop_on_total_count_not_on_an_empty_page(sandbox) -> None:
    """A page past the end answers the last page again: stopping on an empty page would
    never stop."""
    catalog = {f"P{n:04d}": n for n in range(650)}
    cart = sandbox("magento", catalog=catalog, input_limit=20)
    with MagentoConnector(magento_info(cart, input_limits="true")) as conn:
        pages = list(conn.iter_qoh())
    assert [len(p) for p in pages] == [300, 300, 50]  # 300: the page cap with input limits
    assert {q.sku: q.qoh for p in pages for q in p} == catalog
    assert gets(cart) == 3
    unlimited = sandbox("magento", catalog={f"Q{n:04d}": n for n in range(2500)})
    with MagentoConnector(magento_info(unlimited)) as conn:
        assert [len(p) for p in conn.iter_qoh()] == [1000, 1000, 500]


def test_reads_only_the_carts_source(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG, sources=("default", "eu"))
    with MagentoConnector(magento_info(cart, source_code="eu")) as eu:
        assert statuses(eu.set_qoh([QohSet("A1", 99)])) == ["ok"]
        assert eu.read_qoh(["A1", "D4"]) == {"A1": 99}  # D4 has no source item at "eu"
        assert [(q.sku, q.qoh) for p in eu.iter_qoh() for q in p] == [("A1", 99)]
    assert cart.inventory() == CATALOG  # the catalogue lives at "default"
    with MagentoConnector(magento_info(cart)) as default:
        assert default.read_qoh(["A1", "D4"]) == {"A1": 10, "D4": 7}
        assert len([q for p in default.iter_qoh() for q in p]) == 5


def test_read_qoh_filters_by_sku(sandbox) -> None:
    catalog = {**{f"P{n:04d}": n for n in range(2000)}, **CATALOG}
    cart = sandbox("magento", catalog=catalog)
    with MagentoConnector(magento_info(cart)) as conn:
        assert conn.read_qoh(["A1", "P1999", "NOPE"]) == {"A1": 10, "P1999": 1999}
        assert gets(cart) == 1
        many = [f"P{n:04d}" for n in range(120)]
        assert conn.read_qoh(many) == {sku: n for n, sku in enumerate(many)}
    assert gets(cart) == 1 + 3  # 50 SKUs per request


def test_set_per_item_with_unknown_skus(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG)
    with MagentoConnector(magento_info(cart)) as conn:
        results = conn.set_qoh([QohSet("A1", 4), QohSet("NOPE", 1), QohSet("C3", 6)])
    assert statuses(results) == ["ok", "not found", "ok"]
    assert [r.cart_qoh for r in results] == [4, None, 6]
    assert "does not exist" in results[1].message
    assert cart.inventory() == {**CATALOG, "A1": 4, "C3": 6}
    assert posts(cart) == 2  # refused as a whole once, then the known SKUs


def test_status_follows_the_quantity(sandbox) -> None:
    cart = sandbox("magento", catalog={"A1": 5})
    with MagentoConnector(magento_info(cart)) as conn:
        conn.set_qoh([QohSet("A1", 0)])
        conn.set_qoh([QohSet("A1", 8)])
    assert cart.inventory() == {"A1": 8}
    assert cart.stats_json()["magento"]["out_of_stock_with_quantity"] == []


def test_input_limits_option_caps_batches_at_20(sandbox) -> None:
    catalog = {f"P{n:02d}": 0 for n in range(30)}
    cart = sandbox("magento", catalog=catalog, input_limit=20)
    with MagentoConnector(magento_info(cart, max_items=500, input_limits="true")) as conn:
        assert conn.max_batch == 20
        with pytest.raises(ValueError, match="at most 20"):
            conn.set_qoh([QohSet(sku, 1) for sku in catalog])
        assert statuses(conn.set_qoh([QohSet(sku, 1) for sku in list(catalog)[:20]])) == ["ok"] * 20
    with MagentoConnector(magento_info(cart, max_items=500)) as conn:
        assert conn.max_batch == 500  # without the option: the platform's batch
        with pytest.raises(CartError, match="input_limits=true") as caught:
            conn.set_qoh([QohSet(sku, 2) for sku in catalog])  # the shop refuses 30
    assert caught.value.transient is False
    assert cart.inventory() == {sku: 1 if n < 20 else 0 for n, sku in enumerate(catalog)}
    with MagentoConnector(magento_info(cart, max_items=5, input_limits="true")) as conn:
        assert conn.max_batch == 5  # the cart's own maximum still caps it


def test_an_unknown_source_is_a_clear_error(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG)
    conn = MagentoConnector(magento_info(cart, source_code="nowhere"))
    with conn, pytest.raises(CartError, match="source_code") as caught:
        conn.set_qoh([QohSet("A1", 1)])
    assert caught.value.transient is False


def test_a_lost_answer_leaves_the_outcome_unknown(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG, faults="lost=1")
    with MagentoConnector(magento_info(cart)) as conn, pytest.raises(CartError) as caught:
        conn.set_qoh([QohSet("A1", 3)])
    assert caught.value.applied_unknown is True
    assert MAGENTO_TOKEN not in str(caught.value)


def test_new_orders(sandbox) -> None:
    cart = sandbox("magento", catalog=CATALOG)
    with MagentoConnector(magento_info(cart)) as conn:
        assert conn.new_orders(None, 10) == []
        first = cart.place_order([("A1", 2), ("D4", 1)])
        second = cart.place_order([("E5", 1)])
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            (first, [("A1", 2), ("D4", 1)]),
            (second, [("E5", 1)]),
        ]
        assert [o.number for o in conn.new_orders(first, 10)] == [second]
