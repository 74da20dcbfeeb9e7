"""The stack controller engine against real sandbox carts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import params
from seom_desktop.store.models import (
    ControllerLease,
    StackRow,
    StackSend,
    StackStatus,
    utcnow,
)
from tests.shops import Shop

ALL = {"Shop": "shopify", "Gen": "generic", "Woo": "woocommerce"}


def change(shop: Shop, sku: str, delta: int, workstation: str = "TEST-PC", **kw: Any) -> None:
    with shop.store.write() as session:
        apply_change(
            session, QohChange(sku, Source.MANUAL_ADJUSTMENT, delta=delta, **kw), workstation
        )


def rows(shop: Shop) -> list[StackRow]:
    with shop.store.read() as session:
        return list(session.scalars(select(StackRow).order_by(StackRow.id)))


def test_changes_reach_every_cart_once(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 5}, ALL)
    change(shop, "A1", 5)
    change(shop, "B2", -2)
    assert shop.controller().run_once(max_wait=20) == 0
    for name in ALL:
        assert shop.cart_qoh(name) == {"A1": 15, "B2": 3}, name
    assert {r.status for r in rows(shop)} == {StackStatus.SENT.value}
    assert all(r.attempts == 1 and r.last_response.startswith("OK") for r in rows(shop))


def test_pending_changes_of_a_sku_are_coalesced_into_one_send(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 100}, {"Shop": "shopify"})
    for delta in (1, 2, 3, -1, 5):
        change(shop, "A1", delta)
    assert shop.controller().run_once(max_wait=20) == 0
    assert shop.cart_qoh("Shop") == {"A1": 110}
    sent = rows(shop)
    assert len({r.send_id for r in sent}) == 1  # every row knows the one send that carried it
    with shop.store.read() as session:
        sends = list(session.scalars(select(StackSend)))
    assert len(sends) == 1
    stats = requests.get(shop.carts["Shop"].url + "/_sandbox/stats", timeout=5).json()
    assert stats["idempotency"]["duplicate_count"] == 0


@pytest.mark.parametrize(
    "platform", ["shopify", "generic", "woocommerce", "bigcommerce", "miva", "magento"]
)
def test_lost_answers_are_neither_dropped_nor_applied_twice(
    shop_factory: Any, platform: str
) -> None:
    skus = {f"S{i}": 50 for i in range(6)}
    shop: Shop = shop_factory(
        skus, {"Cart": platform}, faults={"Cart": "lost=0.2,error500=0.05,drop=0.05,seed=3"}
    )
    with shop.store.write() as session:
        params.set_value(session, "StackMaxAttempts", 50)
    for round_no in range(4):
        for i, sku in enumerate(skus):
            change(shop, sku, (i + round_no) % 3 - 1 or 2)
        controller = shop.controller()
        controller.run_once(max_wait=30)
    shop.carts["Cart"].set_faults("")
    assert shop.controller().run_once(max_wait=30) == 0
    with shop.store.read() as session:
        from seom_desktop.inventory.products import list_products

        store_qoh = {p.sku: p.qoh for p in list_products(session)}
    assert shop.cart_qoh("Cart") == store_qoh
    assert {r.status for r in rows(shop)} == {StackStatus.SENT.value}
    stats = requests.get(shop.carts["Cart"].url + "/_sandbox/stats", timeout=5).json()
    assert stats["faults"].get("lost", 0) > 0
    if platform == "shopify":
        assert stats["idempotency"]["duplicate_count"] == 0
    if platform == "bigcommerce":  # every relative request differs (its reason names its keys)
        assert stats["bigcommerce"]["deltas"]["duplicate_count"] == 0
    if platform == "miva":  # 206 partial answers were continued (tests/shops.py)
        assert stats["miva"]["partial_answers"] > 0


def test_a_cart_that_cannot_be_reached_counts_attempts_then_bypasses(
    shop_factory: Any,
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Gen": "generic", "Shop": "shopify"})
    with shop.store.write() as session:
        params.set_value(session, "StackMaxAttempts", 3)
    shop.carts["Gen"].stop()  # the cart is down: connection refused
    change(shop, "A1", 4)
    shop.controller().run_once(max_wait=20)
    by_cart = {r.cart_id: r for r in rows(shop)}
    assert len(by_cart) == 2
    statuses = sorted((r.status, r.attempts) for r in by_cart.values())
    assert statuses == [("bypassed", 3), ("sent", 1)]
    down = next(r for r in by_cart.values() if r.status == "bypassed")
    assert "bypassed after 3 attempts" in down.last_response
    assert "seom-sandbox" not in down.last_response  # never the password
    assert shop.cart_qoh("Shop") == {"A1": 14}  # the failing cart did not hold up the other


def test_a_sku_the_cart_does_not_have_is_bypassed_at_once(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    with shop.store.write() as session:
        from seom_desktop.inventory.products import add_product

        add_product(session, "NOT-ON-WEB", "TEST-PC", qoh=1)
    change(shop, "NOT-ON-WEB", 1)
    change(shop, "A1", 1)
    assert shop.controller().run_once(max_wait=20) == 0
    result = {r.cart_sku: (r.status, r.last_response) for r in rows(shop)}
    assert result["A1"][0] == "sent"
    assert result["NOT-ON-WEB"][0] == "bypassed"
    assert "not found" in result["NOT-ON-WEB"][1]


def test_unticking_a_cart_holds_its_rows(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    change(shop, "A1", 3)
    from seom_desktop.store import carts as cart_records

    with shop.store.write() as session:
        cart_records.set_sync(session, "Shop", False)
    assert shop.controller().run_once(max_wait=5) == 1
    assert [r.status for r in rows(shop)] == ["pending"]
    assert shop.cart_qoh("Shop") == {"A1": 10}
    with shop.store.write() as session:
        cart_records.set_sync(session, "Shop", True)
    assert shop.controller().run_once(max_wait=10) == 0
    assert shop.cart_qoh("Shop") == {"A1": 13}


def test_local_mode_sends_only_this_pcs_rows_shared_mode_sends_all(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    change(shop, "A1", 1, workstation="FRONT")
    change(shop, "A1", 2, workstation="BACK")
    assert shop.controller("FRONT").run_once(max_wait=10) == 0
    assert shop.cart_qoh("Shop") == {"A1": 11}
    with shop.store.write() as session:
        params.set_value(session, "SharedStackController", True)
    assert shop.controller("SERVER").run_once(max_wait=10) == 0
    assert shop.cart_qoh("Shop") == {"A1": 13}


def test_one_shared_controller_at_a_time_and_failover(shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    with shop.store.write() as session:
        params.set_value(session, "SharedStackController", True)
        params.set_value(session, "StackFailoverSeconds", 5)
    first = shop.controller("PC-1")
    second = shop.controller("PC-2")
    first.tick()
    second.tick()
    assert first.holding and not second.holding
    change(shop, "A1", 1, workstation="PC-2")
    second.tick()
    assert not second.busy
    # PC-1 stops renewing (a power cut): after the failover bound PC-2 takes over.
    with shop.store.write() as session:
        session.execute(
            update(ControllerLease).values(heartbeat_at=utcnow() - timedelta(seconds=6))
        )
    second.tick()
    assert second.holding
    first.tick()
    assert not first.holding  # the old controller comes back and does not steal it back
    assert second.run_once(max_wait=10) == 0
    assert shop.cart_qoh("Shop") == {"A1": 11}
    first.close()
