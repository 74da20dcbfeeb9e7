"""The Shopify connector against the Shopify GraphQL sandbox (2026-04 rules)."""

from __future__ import annotations

import threading

import pytest
import requests

from seom_desktop.carts.base import CartError, QohDelta, QohSet
from seom_desktop.carts.shopify import ShopifyConnector, batch_key

from .helpers import SHOPIFY_TOKEN, FakeClock, shopify_info

CATALOG = {"A1": 10, "B2": 5, "C3": None, "D4": 0}
LOCATION = "76543210001"


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def connector(cart, clock: FakeClock | None = None, **options: str) -> ShopifyConnector:
    if clock is None:
        return ShopifyConnector(shopify_info(cart, **options))
    return ShopifyConnector(shopify_info(cart, **options), clock=clock, sleep=clock.sleep)


def test_connection(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        message = conn.test_connection()
    assert "sandbox-shop" in message
    assert "gid://shopify/Location/76543210001" in message
    assert SHOPIFY_TOKEN not in message


def test_reads_pages_sized_to_the_bucket_without_being_throttled(sandbox, clock) -> None:
    catalog = {f"S{n:04d}": n for n in range(450)}
    cart = sandbox("shopify", catalog=catalog, clock=clock)  # 1000 points, 50/s
    with connector(cart, clock) as conn:
        pages = list(conn.iter_qoh())
    assert [len(p) for p in pages] == [200, 200, 50]  # 2 + 200 x 4 = 802 points a page
    assert {q.sku: q.qoh for p in pages for q in p} == catalog
    assert cart.stats.rate_limited == 0  # the limiter waited for the points instead
    assert clock.sleeps and sum(clock.sleeps) > 10


def test_page_shrinks_when_the_shop_reports_max_cost_exceeded(sandbox, clock) -> None:
    catalog = {f"S{n:03d}": 1 for n in range(50)}
    cart = sandbox("shopify", catalog=catalog, max_available=100, restore_rate=10, clock=clock)
    with connector(cart, clock, location_id=LOCATION) as conn:
        pages = list(conn.iter_qoh())
    assert max(len(p) for p in pages) == 20  # 80 points of 100 / 4 a variant
    assert sum(len(p) for p in pages) == 50
    assert cart.stats.rate_limited == 0


@pytest.mark.parametrize("status", [200, 429])
def test_throttled_answers_are_waited_out(sandbox, clock, status: int) -> None:
    catalog = {f"S{n:03d}": 1 for n in range(300)}
    cart = sandbox("shopify", catalog=catalog, clock=clock, throttle_status=status)
    with connector(cart, clock, location_id=LOCATION) as first:
        assert len(next(first.iter_qoh())) == 200  # 802 points spent, 198 left
    clock.sleeps.clear()
    with connector(cart, clock, location_id=LOCATION) as second:  # knows nothing of it
        page = next(second.iter_qoh())
    assert len(page) == 200
    assert cart.stats.rate_limited == 1
    assert clock.sleeps == [pytest.approx((802 - 198) / 50, abs=0.01)]


def test_a_cart_that_keeps_throttling_ends_in_a_transient_error(sandbox, clock) -> None:
    cart = sandbox("shopify", catalog=CATALOG, faults="throttle=1")
    conn = connector(cart, clock)
    with conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 429
    assert caught.value.transient is True
    assert caught.value.retry_after is not None


def test_set_quantities_per_item(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        results = conn.set_qoh(
            [QohSet("A1", 3), QohSet("C3", 4), QohSet("NOPE", 1), QohSet("D4", 7), QohSet("A1", 9)]
        )
    assert statuses(results) == ["ok", "not tracked", "not found", "ok", "error"]
    assert cart.inventory() == {"A1": 3, "B2": 5, "C3": None, "D4": 7}
    assert cart.stats.to_json()["operations"]["inventorySetQuantities"] == 1


def test_batch_limit(sandbox) -> None:
    catalog = {f"S{n:03d}": 0 for n in range(251)}
    cart = sandbox("shopify", catalog=catalog, cost_limit=False)
    with connector(cart) as conn:
        conn.cart = shopify_info(cart, max_items=400)
        assert conn.max_batch == 250
        with pytest.raises(ValueError, match="at most 250"):
            conn.set_qoh([QohSet(sku, 1) for sku in catalog])
        results = conn.set_qoh([QohSet(sku, 2) for sku in list(catalog)[:250]])
    assert statuses(results) == ["ok"] * 250
    assert sum(1 for q in cart.inventory().values() if q == 2) == 250


def test_compare_and_set_with_an_expected_quantity(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        results = conn.set_qoh([QohSet("A1", 1, expected=7), QohSet("B2", 2, expected=5)])
    assert statuses(results) == ["error", "ok"]
    assert results[0].code == "CHANGE_FROM_QUANTITY_STALE"
    assert cart.inventory()["A1"] == 10 and cart.inventory()["B2"] == 2


def test_a_sale_between_read_and_set_is_read_again_and_set_once_more(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    conn = connector(cart)
    conn.location()
    cart.mutation_entered.clear()
    cart.mutation_gate.clear()
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(conn.set_qoh([QohSet("A1", 50)])))
    worker.start()
    try:
        assert cart.mutation_entered.wait(10)  # read A1 = 10, the set is held at the gate
        cart.place_order([("A1", 2)])  # a web sale: A1 = 8, the set is now stale
    finally:
        cart.mutation_gate.set()
        worker.join(10)
    conn.close()
    [results] = outcome
    assert statuses(results) == ["ok"]
    assert cart.inventory()["A1"] == 50
    assert cart.stats.to_json()["operations"]["inventorySetQuantities"] == 2


def test_adjust_in_one_mutation_keyed_by_its_items(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        results = conn.adjust_qoh(
            [
                QohDelta("A1", -3, "key-a"),
                QohDelta("C3", 1, "key-c"),
                QohDelta("ZZ", 1, "key-z"),
                QohDelta("B2", 2, "key-b"),
            ]
        )
    assert statuses(results) == ["ok", "not tracked", "not found", "ok"]
    assert (results[0].cart_qoh, results[3].cart_qoh) == (7, 7)
    stats = cart.stats.to_json()
    assert stats["idempotency"]["applications"] == {batch_key(["key-a", "key-b"]): 1}
    assert stats["operations"]["inventoryAdjustQuantities"] == 1


def test_a_full_batch_of_250_changes_is_one_request(sandbox) -> None:
    catalog = {f"S{i:03d}": 100 for i in range(250)}
    cart = sandbox("shopify", catalog=catalog, cost_limit=False)
    with ShopifyConnector(shopify_info(cart, max_items=250)) as conn:
        conn.read_qoh(list(catalog))  # ids known
        before = cart.stats.to_json()["requests"]
        results = conn.adjust_qoh([QohDelta(sku, -1, f"k-{sku}") for sku in catalog])
        assert cart.stats.to_json()["requests"] == before + 1
    assert statuses(results) == ["ok"] * 250
    assert set(cart.inventory().values()) == {99}


def test_lost_answer_then_the_same_key_applies_once(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        conn.read_qoh(["A1"])  # ids known: the next request is the mutation itself
        cart.set_faults("lost=1")
        with pytest.raises(CartError) as caught:
            conn.adjust_qoh([QohDelta("A1", -2, "row-17")])
        assert caught.value.applied_unknown is True
        assert SHOPIFY_TOKEN not in str(caught.value)
        cart.set_faults("")
        results = conn.adjust_qoh([QohDelta("A1", -2, "row-17")])
    assert statuses(results) == ["ok"]
    assert cart.inventory()["A1"] == 8
    stats = cart.stats.to_json()["idempotency"]
    assert stats["applications"] == {batch_key(["row-17"]): 1}
    assert stats["replays"] == 1
    assert stats["duplicate_count"] == 0


def test_concurrent_request_is_retried_with_the_same_key(sandbox, clock) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    first = connector(cart)
    first.read_qoh(["A1"])
    cart.mutation_entered.clear()
    cart.mutation_gate.clear()
    outcome: list = []
    worker = threading.Thread(
        target=lambda: outcome.append(first.adjust_qoh([QohDelta("A1", -1, "same")]))
    )
    worker.start()
    try:
        assert cart.mutation_entered.wait(10)
        with connector(cart, clock) as second:
            results = second.adjust_qoh([QohDelta("A1", -1, "same")])
    finally:
        cart.mutation_gate.set()
        worker.join(10)
    first.close()
    assert statuses(results) == ["error"]
    assert results[0].code == "IDEMPOTENCY_CONCURRENT_REQUEST"
    assert results[0].transient and results[0].applied_unknown
    assert len(clock.sleeps) == 3  # asked again three times, waiting in between
    assert statuses(outcome[0]) == ["ok"]
    assert cart.inventory()["A1"] == 9
    assert cart.stats.to_json()["idempotency"]["applications"] == {batch_key(["same"]): 1}


def test_previous_attempt_failed_is_reported_for_a_new_key(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    with connector(cart) as conn:
        conn.read_qoh(["B2"])  # cached as tracked
        requests.post(cart.url + "/_sandbox/inventory", json={"B2": None}, timeout=10)
        results = conn.adjust_qoh([QohDelta("B2", 1, "row-9")])
        assert statuses(results) == ["not tracked"]
        requests.post(cart.url + "/_sandbox/inventory", json={"B2": 5}, timeout=10)
        results = conn.adjust_qoh([QohDelta("B2", 1, "row-9")])
        assert statuses(results) == ["error"]
        assert results[0].code == "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
        assert statuses(conn.adjust_qoh([QohDelta("B2", 1, "row-9-2")])) == ["ok"]
    assert cart.inventory()["B2"] == 6


def test_new_orders(sandbox) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    cart.place_order([("A1", 2), ("B2", 1)])
    cart.place_order([("D4", 1)])
    with connector(cart) as conn:
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            ("1001", [("A1", 2), ("B2", 1)]),
            ("1002", [("D4", 1)]),
        ]
        assert [o.number for o in conn.new_orders("1001", 10)] == ["1002"]
        assert [o.number for o in conn.new_orders(None, 1)] == ["1001"]
