"""Import Orders: web orders downloaded from real sandbox carts on a worker, the summary and
warnings, importing twice, a cart that does not answer, and carts that cannot list orders."""

from __future__ import annotations

from typing import Any

import requests
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Cart, LedgerEntry, Order, Product, StackRow
from seom_desktop.ui.import_orders import ALL_CARTS, ImportOrders
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> ImportOrders:
    screen = ImportOrders(store, "TEST-PC")
    qtbot.addWidget(screen)
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    return screen


def _web_order(shop: Shop, cart: str, lines: list[tuple[str, int]]) -> str:
    answer = requests.post(
        shop.carts[cart].url + "/_sandbox/order",
        json={"lines": [{"sku": sku, "qty": qty} for sku, qty in lines]},
        timeout=10,
    )
    answer.raise_for_status()
    return str(answer.json()["order"])


def _qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(Product.qoh).where(Product.sku == sku)) or 0)


def _imported(store: Store) -> list[tuple[str, str | None, str]]:
    with store.read() as session:
        rows = session.execute(
            select(Order.cart_name, Order.cart_order_number, Order.kind).order_by(Order.id)
        ).all()
    return [(cart, number, kind) for cart, number, kind in rows]


def test_all_carts_are_imported_off_the_gui_thread(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 5}, {"Web": "generic", "Shop": "shopify"})
    store = shop.store
    web_number = _web_order(shop, "Web", [("A1", 2)])
    shop.carts["Shop"].catalog.add("NOT-HERE", 5)  # sold on the web, unknown to the store
    shop_number = _web_order(shop, "Shop", [("B2", 1), ("NOT-HERE", 1)])
    screen = _screen(qtbot, store)
    items = [screen.cart.itemText(i) for i in range(screen.cart.count())]
    assert items == [ALL_CARTS, "Shop", "Web"]
    assert screen.cart.currentText() == ALL_CARTS

    with qtbot.waitSignal(screen.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
        assert not screen.import_button.isEnabled()  # running: busy bar, window responsive
        assert screen.progress.maximum() == 0
        assert screen.cancel_button.isEnabled()
    text = blocker.args[0]
    assert "Shop: 1 new order(s) imported" in text
    assert "Web: 1 new order(s) imported" in text
    assert f"(Web order {web_number})" in text
    assert "warning: Shop order" in text and "'NOT-HERE' is not in the store" in text
    assert screen.report.toPlainText() == text
    assert screen.status.text() == "2 new orders imported; 2 changes queued for the carts."
    assert screen.import_button.isEnabled() and screen.progress.maximum() == 1

    assert _qoh(store, "A1") == 8 and _qoh(store, "B2") == 4
    assert sorted(_imported(store)) == [
        ("Shop", shop_number, "imported"),
        ("Web", web_number, "imported"),
    ]
    with store.read() as session:
        ledger = session.execute(
            select(LedgerEntry.sku, LedgerEntry.source, LedgerEntry.document, LedgerEntry.delta)
            .where(LedgerEntry.source == "imported order")
            .order_by(LedgerEntry.sku)
        ).all()
        numbers = dict(session.execute(select(Order.cart_name, Order.id)).all())
        assert ledger == [
            ("A1", "imported order", str(numbers["Web"]), -2),
            ("B2", "imported order", str(numbers["Shop"]), -1),
        ]
        told = session.execute(
            select(Product.sku, Cart.name)
            .join(StackRow, StackRow.product_id == Product.id)
            .join(Cart, Cart.id == StackRow.cart_id)
            .order_by(Product.sku)
        ).all()
    assert told == [("A1", "Shop"), ("B2", "Web")]  # each sale goes to the other cart only
    assert shown.seen == []

    with qtbot.waitSignal(screen.finished, timeout=30_000) as blocker:
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert "Web: 0 new order(s) imported" in blocker.args[0]
    assert _qoh(store, "A1") == 8 and len(_imported(store)) == 2  # never twice


def test_a_cart_that_does_not_answer_is_reported_and_the_others_imported(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Web": "generic", "Down": "generic"})
    _web_order(shop, "Web", [("A1", 3)])
    shop.carts["Down"].stop()
    screen = _screen(qtbot, shop.store)
    screen.select_cart(ALL_CARTS)
    with qtbot.waitSignal(screen.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].startswith("Down: could not import - ")
    assert "Web: 1 new order(s) imported" in blocker.args[0]
    assert [title for _kind, title, _message in shown.seen] == ["Cannot import orders"]
    assert shown.seen[0][2].startswith("Down: ")
    assert _qoh(shop.store, "A1") == 7


def test_only_carts_that_can_list_orders_are_offered(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Web": "generic"})
    with shop.store.write() as session:
        cart_records.add_cart(session, "Phone", "manual", "")
    _web_order(shop, "Web", [("A1", 1)])
    screen = _screen(qtbot, shop.store)
    assert [screen.cart.itemText(i) for i in range(screen.cart.count())] == ["Web"]
    assert "Phone: SEOM Desktop cannot download their orders" in screen.note.text()
    with qtbot.waitSignal(screen.finished, timeout=30_000):
        qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert _qoh(shop.store, "A1") == 9
    assert _imported(shop.store)[0][0] == "Web"
