"""POS: scanning a sale, an unknown SKU, Complete Sale (Ctrl+Enter), Void Sale."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.inventory.products import add_product
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import LedgerEntry, Order, OrderLine, Product, StackRow
from seom_desktop.ui.pos import Pos
from seom_desktop.ui.view_inventory import ViewInventory
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> Pos:
    screen = Pos(store, "TEST-PC")
    qtbot.addWidget(screen)
    with qtbot.waitActive(screen):
        screen.show()
        screen.activateWindow()
    return screen


def _qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(Product.qoh).where(Product.sku == sku)) or 0)


def _scan(qtbot: QtBot, screen: Pos, sku: str) -> None:
    qtbot.keyClicks(screen.entry.sku, sku)
    with qtbot.waitSignal(screen.entry.looked_up, timeout=5000):
        qtbot.keyClick(screen.entry.sku, Qt.Key.Key_Return)


def test_a_scanned_sale_is_completed_and_the_next_one_starts(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", name="Blue Mug", qoh=10)
        add_product(session, "B2", "TEST-PC", name="Teapot", qoh=5)
        params.set_value(session, "SynchQOH", True)
        cart_records.add_cart(session, "Web", "generic", "http://127.0.0.1:9/seom.php")
        cart_records.set_sync(session, "Web", True)
    screen = _screen(qtbot, store)
    assert screen.total.text() == "No items yet"
    assert not screen.complete_button.isEnabled()
    _scan(qtbot, screen, "A1")
    _scan(qtbot, screen, "A1")
    _scan(qtbot, screen, "B2")
    assert screen.entry.sku.hasFocus()
    assert [(line.sku, line.quantity) for line in screen.entry.lines()] == [("A1", 2), ("B2", 1)]
    assert screen.entry.table.item(1, 1).text() == "Teapot"
    assert screen.total.text() == "2 items, 3 units"

    with qtbot.waitSignal(screen.completed, timeout=5000) as blocker:
        qtbot.keyClick(screen.entry.sku, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    number = blocker.args[0].number
    assert screen.last_result == f"Sale {number}: 3 units; 2 changes queued for the carts"
    assert screen.entry.entries == [] and screen.total.text() == "No items yet"
    assert _qoh(store, "A1") == 8 and _qoh(store, "B2") == 4
    with store.read() as session:
        order = session.get(Order, number)
        assert order is not None and (order.kind, order.status) == ("POS", "open")
        lines = session.execute(
            select(OrderLine.sku, OrderLine.quantity).where(OrderLine.order_id == number)
        ).all()
        assert sorted(lines) == [("A1", 2), ("B2", 1)]
        ledger = session.execute(
            select(LedgerEntry.sku, LedgerEntry.source, LedgerEntry.document, LedgerEntry.delta)
            .where(LedgerEntry.source == "POS sale")
            .order_by(LedgerEntry.id)
        ).all()
        assert ledger == [("A1", "POS sale", str(number), -2), ("B2", "POS sale", str(number), -1)]
        assert sorted(session.scalars(select(StackRow.delta)).all()) == [-2, -1]
    assert shown.seen == []


def test_an_unknown_sku_is_refused_and_the_sale_is_kept(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=10)
    screen = _screen(qtbot, store)
    _scan(qtbot, screen, "A1")
    _scan(qtbot, screen, "a1x")
    assert "no product with SKU 'a1x'" in screen.message.text()
    assert "not added" in screen.message.text()
    assert screen.entry.sku.text() == "a1x"  # given back to be corrected
    assert [(line.sku, line.quantity) for line in screen.entry.lines()] == [("A1", 1)]
    assert shown.seen == []  # said in the screen, no dialog in the clerk's way

    screen.entry.sku.clear()
    _scan(qtbot, screen, "A1")
    assert screen.message.text() == ""
    with qtbot.waitSignal(screen.completed, timeout=5000):
        qtbot.mouseClick(screen.complete_button, Qt.MouseButton.LeftButton)
    assert _qoh(store, "A1") == 8


def test_void_sale_asks_and_changes_nothing(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=10)
    screen = _screen(qtbot, store)
    _scan(qtbot, screen, "A1")
    shown.answers = [False]
    qtbot.mouseClick(screen.void_button, Qt.MouseButton.LeftButton)
    assert len(screen.entry.lines()) == 1
    qtbot.mouseClick(screen.void_button, Qt.MouseButton.LeftButton)
    assert [kind for kind, _, _ in shown.seen] == ["confirm", "confirm"]
    assert screen.entry.lines() == [] and not screen.complete_button.isEnabled()
    assert _qoh(store, "A1") == 10
    with store.read() as session:
        assert session.scalars(select(Order.id)).all() == []


def test_the_sale_shows_in_view_inventory_history_with_its_document(
    qtbot: QtBot, store: Store
) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=10)
    screen = _screen(qtbot, store)
    _scan(qtbot, screen, "A1")
    with qtbot.waitSignal(screen.completed, timeout=5000) as blocker:
        qtbot.mouseClick(screen.complete_button, Qt.MouseButton.LeftButton)
    number = blocker.args[0].number
    inventory = ViewInventory(store, "TEST-PC")
    qtbot.addWidget(inventory)
    # the first product (A1) is selected once the list has loaded, then its tabs are read
    qtbot.waitUntil(lambda: inventory.details is not None, timeout=5000)
    qtbot.waitUntil(lambda: not inventory.busy, timeout=5000)
    history = inventory.history_table
    headers = [history.horizontalHeaderItem(c).text() for c in range(history.columnCount())]
    row = [history.item(0, c).text() for c in range(history.columnCount())]  # newest first
    assert dict(zip(headers, row, strict=True))["Source"] == "POS sale"
    assert dict(zip(headers, row, strict=True))["Document"] == f"Order {number}"
    assert dict(zip(headers, row, strict=True))["Change"] == "-1"
