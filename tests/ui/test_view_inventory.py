"""View Inventory: a paged product list with search, and the Product Info, Web Fields and
History tabs of the selected product."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import insert

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.products import add_product, set_web_fields
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Product
from seom_desktop.ui.view_inventory import ViewInventory


def _screen(qtbot: QtBot, store: Store) -> ViewInventory:
    screen = ViewInventory(store, "TEST-PC")
    qtbot.addWidget(screen)
    return screen


def test_the_list_is_read_in_pages_and_searched(qtbot: QtBot, store: Store) -> None:
    with store.write() as session:
        session.execute(
            insert(Product),
            [{"sku": f"P{n:05d}", "name": f"Item {n}", "qoh": 0} for n in range(2500)],
        )
    screen = _screen(qtbot, store)
    qtbot.waitUntil(lambda: screen.model.total == 2500 and len(screen.model.rows) > 0, timeout=5000)
    assert len(screen.model.rows) == 1000  # one page, not 2,500 widgets
    assert screen.count_label.text() == "2,500 products"
    assert screen.model.canFetchMore()
    screen.view.scrollToBottom()
    qtbot.waitUntil(lambda: len(screen.model.rows) == 2000, timeout=5000)

    qtbot.keyClicks(screen.search, "item 249")
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.model.total == 11, timeout=5000)
    qtbot.waitUntil(lambda: len(screen.model.rows) == 11, timeout=5000)
    assert screen.model.rows[0].sku == "P00249"
    assert not screen.model.canFetchMore()


def test_the_tabs_show_product_info_web_fields_and_history(qtbot: QtBot, store: Store) -> None:
    with store.write() as session:
        add_product(session, "BLUMUG-100", "TEST-PC", name="Blue Mug", qoh=30)
        cart_records.add_cart(session, "Shopify", "shopify", "https://s.example")
        cart_records.add_cart(session, "Woo", "woocommerce", "https://w.example")
        set_web_fields(session, "BLUMUG-100", "Woo", cart_sku="MUG-BLUE", sync_qoh=False)
        for delta in (12, -3):
            apply_change(
                session,
                QohChange("BLUMUG-100", Source.MANUAL_ADJUSTMENT, delta=delta, reason="Damaged"),
                "TEST-PC",
            )
    screen = _screen(qtbot, store)
    with qtbot.waitSignal(screen.details_shown, timeout=5000):
        pass
    assert screen.sku_label.text() == "BLUMUG-100"
    assert screen.name_label.text() == "Blue Mug"
    assert screen.qoh_label.text() == "39"
    web = [
        [screen.web_table.item(r, c).text() for c in range(4)]
        for r in range(screen.web_table.rowCount())
    ]
    assert web == [
        ["Shopify", "shopify", "BLUMUG-100 (same SKU)", "yes"],
        ["Woo", "woocommerce", "MUG-BLUE", "no"],
    ]
    assert screen.history_table.rowCount() == 3
    assert screen.history_table.item(0, 4).text() == "-3"  # newest first
    assert screen.history_table.item(2, 1).text() == "new product"
    assert screen.chart.series("QOH") == [0, 30, 42, 39]
    screen.tabs.setCurrentIndex(2)
    assert screen.tabs.tabText(1) == "&Web Fields"


def test_adjust_qoh_opens_adjust_inventory_for_the_product(qtbot: QtBot, store: Store) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=2)
    screen = _screen(qtbot, store)
    qtbot.waitUntil(screen.adjust_button.isEnabled, timeout=5000)
    qtbot.mouseClick(screen.adjust_button, Qt.MouseButton.LeftButton)
    (window,) = screen.adjust_windows
    assert window.starting_edit.text() == "2"
    window.setWindowModified(False)
    window.close()
