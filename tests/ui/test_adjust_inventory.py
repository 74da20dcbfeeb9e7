"""Adjust Inventory: the fields, refusing bad input in place, Save through the domain."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.inventory.products import add_product
from seom_desktop.stack.rows import list_stack
from seom_desktop.store import Store
from seom_desktop.store.models import LedgerEntry, Product
from seom_desktop.ui.adjust_inventory import AdjustInventory, ProductPicker
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store, sku: str = "") -> AdjustInventory:
    screen = AdjustInventory(store, "TEST-PC", sku)
    qtbot.addWidget(screen)
    return screen


def _qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(Product.qoh).where(Product.sku == sku)) or 0)


def test_add_with_a_reason_is_saved_and_queued_for_the_carts(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"BLUMUG-100": 30}, {"Shop": "shopify"})
    screen = _screen(qtbot, shop.store)
    qtbot.keyClicks(screen.sku, "BLUMUG-100")
    qtbot.keyClick(screen.sku, Qt.Key.Key_Return)
    assert screen.starting_edit.text() == "30"
    assert screen.add_edit.text() == "0" and screen.subtract_edit.text() == "0"
    assert screen.send_to_web.isChecked()
    screen.add_edit.selectAll()
    qtbot.keyClicks(screen.add_edit, "12")
    assert screen.new_edit.text() == "42"
    screen.reason.setCurrentText("Physical count")
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert _qoh(shop.store, "BLUMUG-100") == 42
    assert screen.last_result == "BLUMUG-100: 30 -> 42 (+12); queued for Shop"
    assert screen.starting_edit.text() == "42"
    with shop.store.read() as session:
        entry = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()
        assert entry is not None and entry.reason == "Physical count"
        assert [r.delta for r in list_stack(session)] == [12]
    assert shown.seen == []


def test_bad_input_is_refused_in_place(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=5)
    screen = _screen(qtbot, store)
    qtbot.keyClicks(screen.sku, "nope")
    qtbot.keyClick(screen.sku, Qt.Key.Key_Return)
    assert "no product with SKU 'nope'" in screen.message.text()
    assert not screen.save_button.isEnabled()
    screen.sku.setText("A1")
    screen.load_sku()
    screen.add_edit.selectAll()
    qtbot.keyClicks(screen.add_edit, "2.5")
    assert "Quantity to Add must be a whole number" in screen.message.text()
    assert "ffe0e0" in screen.add_edit.styleSheet()
    assert not screen.save_button.isEnabled()
    screen.add_edit.selectAll()
    qtbot.keyClicks(screen.add_edit, "1")
    screen.subtract_edit.selectAll()
    qtbot.keyClicks(screen.subtract_edit, "9")
    assert "cannot subtract more than the 6 on hand" in screen.message.text()
    assert not screen.save_button.isEnabled()
    screen.save()  # e.g. Enter on the default button: refused with a dialog
    assert shown.errors()[0].startswith("Cannot save the adjustment")
    assert _qoh(store, "A1") == 5


def test_a_new_quantity_typed_directly_is_a_count_and_can_stay_off_the_web(
    qtbot: QtBot, shop_factory: Any
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "generic"})
    screen = _screen(qtbot, shop.store, "A1")
    assert screen.new_edit.text() == "10"
    screen.new_edit.selectAll()
    qtbot.keyClicks(screen.new_edit, "7")
    assert not screen.add_edit.isEnabled()
    qtbot.keyClick(screen.send_to_web, Qt.Key.Key_Space)
    assert not screen.send_to_web.isChecked()
    with qtbot.waitSignal(screen.saved, timeout=5000) as blocker:
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    applied = blocker.args[0]
    assert (applied.qoh_before, applied.delta, applied.qoh_after) == (10, -3, 7)
    assert applied.stack_row_ids == ()
    assert "not sent to any cart" in screen.last_result


def test_the_sku_search_finds_a_product(qtbot: QtBot, store: Store) -> None:
    with store.write() as session:
        add_product(session, "BLUMUG-100", "TEST-PC", name="Blue Mug", qoh=3)
        add_product(session, "TEA-103", "TEST-PC", name="Teapot", qoh=4)
    picker = ProductPicker(store, "tea")
    qtbot.addWidget(picker)
    qtbot.waitUntil(lambda: picker.chosen() is not None, timeout=5000)
    assert picker.chosen() == "TEA-103"
    picker.search.clear()
    qtbot.keyClicks(picker.search, "mug")
    qtbot.waitUntil(lambda: picker.chosen() == "BLUMUG-100", timeout=5000)
