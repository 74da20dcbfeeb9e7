"""The Miva connector against the Miva JSON API sandbox: multicall, the 206 partial answer
continued with ``Range``, baskets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from seom_desktop.carts.base import CartError, ItemStatus, QohDelta, QohSet
from seom_desktop.carts.miva import MivaConnector
from seom_desktop.carts.platforms import MIVA_BASKET_WARNING, platform
from seom_desktop.carts.registry import connector_for
from seom_desktop.sandbox import MivaCart
from seom_desktop.sandbox.base import Request, Response

from .helpers import MIVA_TOKEN, miva_info

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}
TEN = {f"P{n}": 100 for n in range(10)}


def statuses(results: list) -> list[str]:
    return [r.status.value for r in results]


def miva_stats(cart) -> dict[str, Any]:
    return cart.stats_json()["miva"]


def test_connection_and_registry(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)
    with connector_for(miva_info(cart)) as conn:
        assert isinstance(conn, MivaConnector)
        assert conn.test_connection() == "Connected to Test cart (Miva JSON API, 5 products)"


def test_a_wrong_token_is_refused_and_never_shown(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG, secret=MIVA_TOKEN + "x")
    with MivaConnector(miva_info(cart)) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.transient is False  # HTTP 200 {"success": 0}: read from success
    assert "invalid_token" in str(caught.value)
    assert MIVA_TOKEN not in str(caught.value)
    wrong_store = sandbox("miva", catalog=CATALOG, user="OTHER")
    with MivaConnector(miva_info(wrong_store)) as conn, pytest.raises(CartError, match="store"):
        conn.read_qoh(["A1"])


def test_reads_pages_of_500_with_untracked_products(sandbox) -> None:
    catalog = {**{f"P{n:04d}": n % 11 for n in range(1200)}, **CATALOG}
    cart = sandbox("miva", catalog=catalog)
    with MivaConnector(miva_info(cart)) as conn:
        pages = list(conn.iter_qoh())
    assert [len(p) for p in pages] == [500, 500, 205]
    assert {q.sku: q.qoh for p in pages for q in p} == catalog
    assert cart.stats.operations["ProductList_Load_Query"] == 3


def test_read_qoh_filters_by_code(sandbox) -> None:
    catalog = {**{f"P{n:04d}": n for n in range(2000)}, **CATALOG}
    cart = sandbox("miva", catalog=catalog)
    with MivaConnector(miva_info(cart)) as conn:
        assert conn.read_qoh(["A1", "B2", "P1999", "NOPE"]) == {
            "A1": 10,
            "B2": None,
            "P1999": 1999,
        }
    assert cart.stats.operations["ProductList_Load_Query"] == 1


def test_adjust_per_item_in_one_multicall(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)
    with MivaConnector(miva_info(cart)) as conn:
        results = conn.adjust_qoh(
            [
                QohDelta("A1", -3, "k1"),
                QohDelta("NOPE", 1, "k2"),
                QohDelta("B2", 2, "k3"),
                QohDelta("D4", 5, "k4"),
                QohDelta("C3", 1, "k5"),
            ]
        )
    assert statuses(results) == ["ok", "not found", "not tracked", "ok", "ok"]
    assert cart.inventory() == {**CATALOG, "A1": 7, "D4": 12, "C3": 1}
    stats = miva_stats(cart)
    assert stats["operations_run"] == 3  # one operation per item sent
    assert stats["deltas"]["applications"] == 3 and stats["deltas"]["duplicate_count"] == 0
    assert stats["untracked_ignored"] == 0  # the untracked product was never sent


def test_a_product_deleted_after_the_look_up_is_not_found_alone(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)

    class Vanishing(MivaConnector):
        def _lookup(self, skus):  # the look-up saw D4; it is deleted before the multicall
            found = super()._lookup(skus)
            cart.catalog.remove("D4")
            return found

    with Vanishing(miva_info(cart)) as conn:
        results = conn.adjust_qoh([QohDelta("A1", 1, "k1"), QohDelta("D4", 1, "k2")])
    assert statuses(results) == ["ok", "not found"]
    assert results[1].code == "invalid_product"
    assert cart.inventory()["A1"] == 11


def test_send_qoh_sets_the_count_with_product_update(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)
    with MivaConnector(miva_info(cart)) as conn:
        results = conn.set_qoh([QohSet("A1", 4), QohSet("B2", 1), QohSet("X", 1), QohSet("E5", 0)])
    assert statuses(results) == ["ok", "not tracked", "not found", "ok"]
    assert [r.cart_qoh for r in results] == [4, None, None, 0]
    assert cart.inventory() == {**CATALOG, "A1": 4, "E5": 0}
    assert cart.stats.operations["Product_Update"] == 2


def test_batch_limit(sandbox) -> None:
    cart = sandbox("miva", catalog={f"P{n}": 0 for n in range(101)})
    with MivaConnector(miva_info(cart, max_items=500)) as conn:
        assert conn.max_batch == 100
        with pytest.raises(ValueError, match="at most 100"):
            conn.adjust_qoh([QohDelta(f"P{n}", 1, str(n)) for n in range(101)])
        assert (
            statuses(conn.adjust_qoh([QohDelta(f"P{n}", 1, str(n)) for n in range(100)]))
            == ["ok"] * 100
        )
    assert cart.stats.changes_applied == 100


@pytest.mark.parametrize("partial_after", [1, 3, 9])
def test_a_206_partial_answer_is_continued_and_every_delta_applied_once(
    sandbox, partial_after: int
) -> None:
    cart = sandbox("miva", catalog=TEN, partial_after=partial_after)
    with MivaConnector(miva_info(cart)) as conn:
        results = conn.adjust_qoh([QohDelta(f"P{n}", n + 1, f"k{n}") for n in range(10)])
    assert statuses(results) == ["ok"] * 10
    assert cart.inventory() == {f"P{n}": 100 + n + 1 for n in range(10)}
    stats = miva_stats(cart)
    assert stats["operations_run"] == 10  # no operation ran twice
    assert stats["deltas"]["applications"] == 10
    assert stats["deltas"]["duplicate_count"] == 0
    requests_needed = -(-10 // partial_after)
    assert stats["partial_answers"] == requests_needed - 1
    assert stats["ranged_requests"] == requests_needed - 1


def test_a_206_on_send_qoh_is_continued_too(sandbox) -> None:
    cart = sandbox("miva", catalog=TEN, operation_seconds=10.0)
    with MivaConnector(miva_info(cart), timeout=40.0) as conn:
        assert conn.api_timeout == 30  # our budget for Miva, under our read timeout
        results = conn.set_qoh([QohSet(f"P{n}", n) for n in range(10)])
    assert statuses(results) == ["ok"] * 10
    assert cart.inventory() == {f"P{n}": n for n in range(10)}
    stats = miva_stats(cart)
    assert stats["operations_run"] == 10 and stats["partial_answers"] == 3


class FailingContinuation(MivaCart):
    """A Miva whose continuations (requests with ``Range``) fail: ``refuse`` answers 500
    before running anything; ``cut`` runs the operations, then cuts the answer short."""

    mode = "refuse"

    def handle(self, request: Request) -> Response:
        if request.header("Range") is None:
            return super().handle(request)
        if self.mode == "refuse":
            return Response.text("Internal Server Error", 500)
        response = super().handle(request)
        response.body = response.body[: len(response.body) // 2]
        return response


@pytest.fixture
def failing() -> Iterator[FailingContinuation]:
    cart = FailingContinuation(catalog=TEN, partial_after=4)
    cart.start()
    yield cart
    cart.stop()


def test_a_refused_continuation_reports_the_unfinished_items_as_failed(
    failing: FailingContinuation,
) -> None:
    failing.mode = "refuse"
    with MivaConnector(miva_info(failing)) as conn:
        results = conn.adjust_qoh([QohDelta(f"P{n}", 1, f"k{n}") for n in range(10)])
    assert statuses(results) == ["ok"] * 4 + ["error"] * 6
    assert not any(r.applied_unknown for r in results)  # the 500 came before anything ran
    assert all(r.transient and "HTTP 500" in r.message for r in results[4:])
    assert failing.inventory() == {f"P{n}": 101 if n < 4 else 100 for n in range(10)}


def test_a_lost_continuation_leaves_only_the_unfinished_items_in_doubt(
    failing: FailingContinuation,
) -> None:
    failing.mode = "cut"
    with MivaConnector(miva_info(failing)) as conn:
        results = conn.adjust_qoh([QohDelta(f"P{n}", 1, f"k{n}") for n in range(10)])
    assert [r.status for r in results[:4]] == [ItemStatus.OK] * 4
    assert not any(r.applied_unknown for r in results[:4])  # finished: never in doubt
    assert all(r.status is ItemStatus.ERROR and r.applied_unknown for r in results[4:])
    # The cut continuation did run operations 5-8: in doubt, and never sent again.
    stats = failing.stats_json()["miva"]
    assert stats["operations_run"] == 8
    assert stats["deltas"]["duplicate_count"] == 0
    assert MIVA_TOKEN not in " ".join(r.message for r in results)


def test_a_lost_first_answer_is_in_doubt_as_a_whole(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)
    with MivaConnector(miva_info(cart)) as conn:
        conn.read_qoh(["A1"])
        cart.set_faults("lost=1")
        with pytest.raises(CartError) as caught:
            conn.adjust_qoh([QohDelta("A1", 1, "k1")])
    # The look-up itself was lost: nothing was sent, so nothing is in doubt.
    assert caught.value.applied_unknown is False

    class LoseTheMulticall(MivaConnector):
        def _lookup(self, skus):
            found = super()._lookup(skus)
            cart.set_faults("lost=1")
            return found

    cart.set_faults("")
    with LoseTheMulticall(miva_info(cart)) as conn, pytest.raises(CartError) as caught:
        conn.adjust_qoh([QohDelta("A1", 1, "k1")])
    assert caught.value.applied_unknown is True
    assert cart.inventory()["A1"] == 11


def test_the_basket_warning_is_declared_for_the_screens() -> None:
    assert MivaConnector.notes == MIVA_BASKET_WARNING == platform("miva").notes
    assert "basket" in MIVA_BASKET_WARNING and "Send QOH" in MIVA_BASKET_WARNING
    assert all(not platform(p).notes for p in ("shopify", "bigcommerce", "magento", "manual"))


def test_product_update_does_not_count_stock_held_in_baskets(sandbox) -> None:
    """Why the warning exists: a count sent while a basket holds stock is counted twice once
    the basket is emptied."""
    cart = sandbox("miva", catalog={"A1": 10})
    basket = cart.add_to_basket([("A1", 3)])
    with MivaConnector(miva_info(cart)) as conn:
        assert conn.read_qoh(["A1"]) == {"A1": 7}
        conn.set_qoh([QohSet("A1", 10)])  # the store's count of the shelf
    cart.empty_basket(basket)
    assert cart.inventory() == {"A1": 13}


def test_new_orders(sandbox) -> None:
    cart = sandbox("miva", catalog=CATALOG)
    with MivaConnector(miva_info(cart)) as conn:
        assert conn.new_orders(None, 10) == []
        first = cart.place_order([("A1", 2), ("D4", 1)])
        second = cart.checkout_basket(cart.add_to_basket([("E5", 1)]))
        orders = conn.new_orders(None, 10)
        assert [(o.number, [(ln.sku, ln.quantity) for ln in o.lines]) for o in orders] == [
            (first, [("A1", 2), ("D4", 1)]),
            (second, [("E5", 1)]),
        ]
        assert [o.number for o in conn.new_orders(first, 10)] == [second]
