"""Order Entry: scanning lines, the channel, Save Order, the recent orders and Cancel Order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.inventory.products import add_product
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Cart, LedgerEntry, Order, Product, StackRow
from seom_desktop.ui.order_entry import OrderEntry
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> OrderEntry:
    screen = OrderEntry(store, "TEST-PC")
    qtbot.addWidget(screen)
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    return screen


def _qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(Product.qoh).where(Product.sku == sku)) or 0)


def _ledger(store: Store, sku: str) -> list[tuple[str, str | None, int]]:
    with store.read() as session:
        rows = session.execute(
            select(LedgerEntry.source, LedgerEntry.document, LedgerEntry.delta)
            .where(LedgerEntry.sku == sku)
            .order_by(LedgerEntry.id)
        ).all()
    return [(source, document, delta) for source, document, delta in rows]


def _orders(store: Store) -> list[tuple[int, str, str, str]]:
    with store.read() as session:
        rows = session.execute(
            select(Order.id, Order.kind, Order.cart_name, Order.status).order_by(Order.id)
        ).all()
    return [(n, kind, cart, status) for n, kind, cart, status in rows]


def _scan(qtbot: QtBot, screen: OrderEntry, sku: str, quantity: str = "") -> None:
    """Type (or scan) the SKU, optionally a quantity, and press Enter; wait for the lookup."""
    entry = screen.entry
    qtbot.keyClicks(entry.sku, sku)
    target = entry.sku
    if quantity:
        entry.quantity.selectAll()
        qtbot.keyClicks(entry.quantity, quantity)
        target = entry.quantity
    with qtbot.waitSignal(entry.looked_up, timeout=5000):
        qtbot.keyClick(target, Qt.Key.Key_Return)


def test_scanned_lines_are_saved_as_an_order_and_queued_for_the_other_carts(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 5}, {"Web": "generic", "Shop": "shopify"})
    store = shop.store
    screen = _screen(qtbot, store)
    with qtbot.waitActive(screen):
        screen.show()
        screen.activateWindow()
    assert [screen.channel.itemText(i) for i in range(screen.channel.count())] == [
        "",
        "Shop",
        "Web",
    ]
    screen.channel.setCurrentText("Web")  # a phone order taken for the web shop

    _scan(qtbot, screen, "A1", "2")
    assert screen.entry.sku.hasFocus()  # ready for the next scan
    assert screen.entry.quantity.text() == "1"
    _scan(qtbot, screen, "A1")  # the same SKU again: one line, 3
    _scan(qtbot, screen, "B2")
    table = screen.entry.table
    assert table.rowCount() == 2
    assert [table.item(0, c).text() for c in range(4)] == ["A1", "", "10", "3"]
    assert table.item(1, 3).text() == "1"
    assert screen.units_label.text() == "2 lines, 4 units"

    with qtbot.waitSignal(screen.saved, timeout=5000) as blocker:
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    placed = blocker.args[0]
    assert (
        screen.last_result == f"Order {placed.number} (Web) saved; 2 changes queued for the carts"
    )
    assert screen.entry.table.rowCount() == 0
    assert _qoh(store, "A1") == 7 and _qoh(store, "B2") == 4
    assert _ledger(store, "A1")[-1] == ("manual order", str(placed.number), -3)
    assert _orders(store) == [(placed.number, "manual", "Web", "open")]
    with store.read() as session:
        carts = session.scalars(
            select(Cart.name).join(StackRow, StackRow.cart_id == Cart.id).order_by(StackRow.id)
        ).all()
    assert carts == ["Shop", "Shop"]  # the Web channel sold it itself: not told
    qtbot.waitUntil(lambda: screen.recent_table.rowCount() == 1, timeout=5000)
    assert screen.recent_table.item(0, 6).text() == "A1 x3, B2 x1"
    assert shown.seen == []


def test_cancel_order_asks_first_and_puts_the_stock_back(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=10)
    screen = _screen(qtbot, store)
    _scan(qtbot, screen, "A1", "4")
    with qtbot.waitSignal(screen.saved, timeout=5000) as blocker:
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    number = blocker.args[0].number
    assert _qoh(store, "A1") == 6
    qtbot.waitUntil(lambda: screen.recent_table.rowCount() == 1, timeout=5000)
    assert not screen.cancel_button.isEnabled()  # nothing selected yet
    screen.recent_table.selectRow(0)
    assert screen.cancel_button.isEnabled()

    shown.answers = [False]
    qtbot.mouseClick(screen.cancel_button, Qt.MouseButton.LeftButton)
    assert shown.seen[-1][:2] == ("confirm", f"Cancel order {number}")
    assert "A1 x4" in shown.seen[-1][2]
    assert _qoh(store, "A1") == 6 and _orders(store)[0][3] == "open"

    with qtbot.waitSignal(screen.cancelled, timeout=5000):
        qtbot.mouseClick(screen.cancel_button, Qt.MouseButton.LeftButton)
    assert _qoh(store, "A1") == 10
    assert _ledger(store, "A1")[-1] == ("order cancelled", str(number), 4)
    assert _orders(store)[0][3] == "cancelled"
    assert screen.last_result == (
        f"Order {number} cancelled; its stock is back (0 changes queued for the carts)"
    )
    qtbot.waitUntil(lambda: screen.recent_table.item(0, 4).text() == "cancelled", timeout=5000)
    assert not screen.cancel_button.isEnabled()  # a cancelled order cannot be cancelled again


def test_a_failed_save_keeps_the_lines_and_says_why(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=10)
        cart_records.add_cart(session, "Phone", "manual", "")
    screen = _screen(qtbot, store)
    screen.channel.setCurrentText("Phone")
    _scan(qtbot, screen, "A1", "2")
    with store.write() as session:  # another workstation deletes the channel meanwhile
        cart_records.delete_cart(session, "Phone")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown.errors()), timeout=5000)
    assert shown.errors()[0].startswith("Cannot save the order: there is no cart called 'Phone'")
    assert screen.message.text().startswith("The order was not saved: there is no cart")
    assert screen.entry.lines()[0].sku == "A1" and screen.entry.lines()[0].quantity == 2
    assert screen.save_button.isEnabled()
    assert _qoh(store, "A1") == 10 and _orders(store) == []


def test_quantities_are_checked_edited_in_place_and_lines_removed(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=1)
        add_product(session, "B2", "TEST-PC", qoh=5)
    screen = _screen(qtbot, store)
    entry = screen.entry
    qtbot.keyClicks(entry.sku, "A1")
    entry.quantity.selectAll()
    qtbot.keyClicks(entry.quantity, "-2")
    qtbot.keyClick(entry.quantity, Qt.Key.Key_Return)
    assert "ffe0e0" in entry.quantity.styleSheet()
    assert screen.message.text()
    assert entry.sku.text() == "A1" and entry.entries == []  # nothing lost, nothing added
    entry.quantity.selectAll()
    qtbot.keyClicks(entry.quantity, "3")
    with qtbot.waitSignal(entry.looked_up, timeout=5000):
        qtbot.keyClick(entry.quantity, Qt.Key.Key_Return)
    assert screen.message.text() == ""
    assert entry.table.item(0, 2).toolTip() == "More than the quantity on hand"
    _scan(qtbot, screen, "B2")

    entry.table.item(1, 3).setText("0")  # as if typed in the cell
    assert "must be at least 1" in screen.message.text()
    assert entry.table.item(1, 3).text() == "1"
    entry.table.item(1, 3).setText("2")
    assert [line.quantity for line in entry.lines()] == [3, 2]

    entry.table.selectRow(0)
    qtbot.mouseClick(entry.remove_button, Qt.MouseButton.LeftButton)
    assert [line.sku for line in entry.lines()] == ["B2"]
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert _qoh(store, "A1") == 1 and _qoh(store, "B2") == 3
    assert _orders(store)[0][1:3] == ("manual", "")
