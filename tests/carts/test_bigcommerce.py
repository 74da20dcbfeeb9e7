"""The BigCommerce connector against the BigCommerce v3 sandbox (real HTTP, fake clock)."""

from __future__ import annotations

import pytest
import requests

from seom_desktop.carts.base import CartError, QohDelta, QohSet
from seom_desktop.carts.bigcommerce import BigCommerceConnector
from seom_desktop.carts.registry import connector_for

from .helpers import BC_STORE_HASH, BC_TOKEN, FakeClock, bigcommerce_info, cart_info

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def connector(cart, clock: FakeClock | None = None, **kwargs) -> BigCommerceConnector:
    if clock is not None:
        kwargs.update(clock=clock, sleep=clock.sleep)
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in ("max_items", "location_id")}
    return BigCommerceConnector(bigcommerce_info(cart, **options), **kwargs)


def test_connection_and_registry(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG)
    with connector_for(bigcommerce_info(cart)) as conn:
        assert isinstance(conn, BigCommerceConnector)
        assert conn.v3 == f"{cart.url}/stores/{BC_STORE_HASH}/v3"
        assert conn.test_connection() == (
            "Connected to Test cart (BigCommerce v3, 4 inventory items)"  # B2 is untracked
        )


def test_a_wrong_token_is_refused_and_never_shown(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG, secret=BC_TOKEN + "-other")
    with connector(cart) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 401 and caught.value.transient is False
    assert BC_TOKEN not in str(caught.value)


def test_reads_pages_of_1000(sandbox) -> None:
    catalog = {**{f"P{n:04d}": n % 9 for n in range(2300)}, **CATALOG}
    cart = sandbox("bigcommerce", catalog=catalog, rate_limit_quota=None)
    with connector(cart) as conn:
        pages = list(conn.iter_qoh())
    assert [len(p) for p in pages] == [1000, 1000, 304]  # untracked items are not listed
    assert {q.sku: q.qoh for p in pages for q in p} == {
        k: v for k, v in catalog.items() if v is not None
    }
    assert cart.stats.operations["GET /inventory/items"] == 3


def test_read_qoh_filters_by_sku(sandbox) -> None:
    catalog = {**{f"P{n:04d}": n for n in range(3000)}, **CATALOG}
    cart = sandbox("bigcommerce", catalog=catalog, rate_limit_quota=None)
    with connector(cart) as conn:
        assert conn.read_qoh(["A1", "B2", "P2999", "NOPE"]) == {"A1": 10, "P2999": 2999}
        assert cart.stats.operations["GET /inventory/items"] == 1  # sku:in, not a scan
        many = [f"P{n:04d}" for n in range(120)]
        assert conn.read_qoh(many) == {sku: n for n, sku in enumerate(many)}
    assert cart.stats.operations["GET /inventory/items"] == 1 + 3  # 50 SKUs per request


def test_absolute_per_item_with_unknown_and_untracked_items(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG)
    with connector(cart) as conn:
        results = conn.set_qoh(
            [QohSet("A1", 4), QohSet("B2", 2), QohSet("NOPE", 1), QohSet("C3", 6)]
        )
    assert statuses(results) == ["ok", "not tracked", "not found", "ok"]
    assert [r.cart_qoh for r in results] == [4, None, None, 6]
    assert cart.inventory() == {**CATALOG, "A1": 4, "C3": 6}
    # The first request was refused as a whole (422), the good items were sent once more.
    assert cart.stats.operations["PUT /inventory/adjustments/absolute"] == 2
    assert cart.stats_json()["bigcommerce"]["absolute_items_applied"] == 2


def test_relative_per_item_applies_each_delta_once(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG)
    with connector(cart) as conn:
        results = conn.adjust_qoh(
            [
                QohDelta("A1", -3, "k1"),
                QohDelta("NOPE", 1, "k2"),
                QohDelta("B2", 2, "k3"),
                QohDelta("D4", 5, "k4"),
            ]
        )
    assert statuses(results) == ["ok", "not found", "not tracked", "ok"]
    assert cart.inventory() == {**CATALOG, "A1": 7, "D4": 12}
    deltas = cart.stats_json()["bigcommerce"]["deltas"]
    assert deltas["applications"] == 2 and deltas["duplicate_count"] == 0


def test_a_lost_answer_leaves_the_outcome_unknown(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG, faults="lost=1")
    with connector(cart) as conn, pytest.raises(CartError) as caught:
        conn.adjust_qoh([QohDelta("A1", 1, "k1")])
    assert caught.value.applied_unknown is True
    assert cart.inventory()["A1"] == 11  # it was applied: the controller must read, not resend
    assert BC_TOKEN not in str(caught.value)


def test_batches_of_2000_and_the_sandbox_refuses_more(sandbox) -> None:
    catalog = {f"P{n:04d}": 0 for n in range(2001)}
    cart = sandbox("bigcommerce", catalog=catalog)
    with connector(cart, max_items=5000) as conn:
        assert conn.max_batch == 2000
        with pytest.raises(ValueError, match="at most 2000"):
            conn.set_qoh([QohSet(sku, 1) for sku in catalog])
        results = conn.set_qoh([QohSet(sku, 1) for sku in list(catalog)[:2000]])
    assert statuses(results) == ["ok"] * 2000
    assert cart.stats.operations["PUT /inventory/adjustments/absolute"] == 1
    small = sandbox("bigcommerce", catalog=catalog, adjust_limit=10)
    with connector(small) as conn, pytest.raises(CartError, match="HTTP 422") as caught:
        conn.adjust_qoh([QohDelta(sku, 1, sku) for sku in list(catalog)[:11]])
    assert caught.value.transient is False
    assert small.stats.changes_applied == 0


def test_the_quota_headers_are_waited_on_before_a_429(sandbox, clock: FakeClock) -> None:
    cart = sandbox(
        "bigcommerce", catalog=CATALOG, rate_limit_quota=3, rate_limit_window=30, clock=clock
    )
    with connector(cart, clock) as conn:
        for _ in range(7):
            assert conn.read_qoh(["A1"]) == {"A1": 10}
    assert cart.stats.rate_limited == 0  # never refused: the limiter waited for the reset
    assert len(clock.sleeps) == 2
    assert all(25 <= s <= 30 for s in clock.sleeps)


def test_a_429_is_waited_out_by_its_retry_after(sandbox, clock: FakeClock) -> None:
    cart = sandbox(
        "bigcommerce", catalog=CATALOG, rate_limit_quota=2, rate_limit_window=30, clock=clock
    )
    with connector(cart, clock) as conn:
        # Another app of the same store spends the shared quota meanwhile.
        for _ in range(2):
            requests.get(
                conn.v3 + "/inventory/items", headers={"X-Auth-Token": BC_TOKEN}, timeout=5
            )
        assert conn.read_qoh(["D4"]) == {"D4": 7}
    assert cart.stats.rate_limited == 1
    assert clock.sleeps == [30.0]  # Retry-After: whole seconds until the window resets


def test_an_unknown_location_is_a_clear_error(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG)
    with connector(cart, location_id="7") as conn, pytest.raises(CartError) as caught:
        conn.set_qoh([QohSet("A1", 1)])
    assert "location_id" in str(caught.value) and caught.value.transient is False
    with pytest.raises(CartError, match="must be a number"):
        BigCommerceConnector(cart_info("bigcommerce", cart.url, "h", "t", location_id="x"))


def test_new_orders(sandbox) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG)
    with connector(cart) as conn:
        assert conn.new_orders(None, 10) == []  # 204 No Content
        first = cart.place_order([("A1", 2), ("D4", 1)])
        second = cart.place_order([("C3", 1)])
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            (first, [("A1", 2), ("D4", 1)]),
            (second, [("C3", 1)]),
        ]
        assert [o.number for o in conn.new_orders(first, 10)] == [second]
        assert conn.new_orders(second, 10) == []
