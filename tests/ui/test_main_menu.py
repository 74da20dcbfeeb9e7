"""The Main Menu: Quick Clicks, the Settings menu, Ctrl+Shift+S and the status bar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seom_desktop import app
from seom_desktop.demo import populate_demo
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.stack import actions
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.ui.import_orders import ImportOrders
from seom_desktop.ui.main_menu import MainMenu
from seom_desktop.ui.order_entry import OrderEntry
from seom_desktop.ui.pos import Pos
from seom_desktop.ui.receive_po import ReceivePo
from seom_desktop.ui.shopping_carts import ShoppingCarts
from seom_desktop.ui.stack_viewer import StackViewer
from seom_desktop.ui.view_inventory import ViewInventory
from tests.ui.conftest import Dialogs


@pytest.fixture
def menu(qtbot: QtBot, store: Store) -> MainMenu:
    populate_demo(store, "TEST-PC")
    window = MainMenu(store, "TEST-PC")
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.status is not None, timeout=5000)
    return window


def test_the_status_bar_shows_store_workstation_controller_and_backlog(
    qtbot: QtBot, menu: MainMenu, store: Store
) -> None:
    assert menu.summary.text() == "40 products, 0 carts"
    assert "TEST-PC" in menu.workstation_label.text()
    assert store.display_name in menu.store_label.text()
    assert menu.controller_label.text() == "Controller: local"
    assert menu.backlog_label.text() == "Backlog: 0"
    assert menu.bypassed_button.text() == "Bypassed: 0"

    with store.write() as session:
        params.set_value(session, "SynchQOH", True)
        params.set_value(session, "SharedStackController", True)
        cart_records.add_cart(session, "Shop", "shopify", "https://s.example")
        cart_records.set_sync(session, "Shop", True)
        apply_change(session, QohChange("BLUMUG-100", Source.POS_SALE, delta=-1), "TEST-PC")
        applied = apply_change(session, QohChange("TEA-103", Source.POS_SALE, delta=-1), "TEST-PC")
        actions.bypass(session, applied.stack_row_ids[0])
    with qtbot.waitSignal(menu.refreshed, timeout=5000):
        menu.refresh()
    assert menu.summary.text() == "40 products, 1 carts"
    assert menu.backlog_label.text() == "Backlog: 1"
    assert menu.bypassed_button.text() == "Bypassed: 1"
    assert menu.controller_label.text() == "Controller: shared (nobody is sending)"


def test_ctrl_shift_s_opens_the_stack_controller(qtbot: QtBot, menu: MainMenu) -> None:
    with qtbot.waitActive(menu):
        menu.show()
        menu.activateWindow()
    assert menu.stack_action.shortcut().toString() == "Ctrl+Shift+S"
    qtbot.keyClick(
        menu,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: StackViewer in menu.screens, timeout=5000)
    viewer = menu.screens[StackViewer]
    assert viewer.isVisible()
    qtbot.waitUntil(lambda: not viewer.busy, timeout=5000)
    viewer.close()


def test_quick_clicks_and_the_settings_menu_open_the_screens(qtbot: QtBot, menu: MainMenu) -> None:
    assert [b.text().replace("&", "") for b in menu.quick_buttons.values()] == [
        "View Inventory",
        "Adjust Inventory",
        "Shopping Carts",
        "Advanced Cart Functions",
        "Set System Parameters",
        "Stack Controller",
        "Order Entry",
        "POS",
        "Receive PO",
        "Import Orders",
    ]
    qtbot.mouseClick(menu.quick_buttons[ViewInventory], Qt.MouseButton.LeftButton)
    inventory = menu.screens[ViewInventory]
    assert inventory.isVisible()
    qtbot.waitUntil(lambda: len(inventory.model.rows) == 40, timeout=5000)
    qtbot.mouseClick(menu.quick_buttons[ViewInventory], Qt.MouseButton.LeftButton)
    assert menu.screens[ViewInventory] is inventory  # one window per screen

    settings = next(a for a in menu.menuBar().actions() if a.text() == "&Settings")
    system = next(a for a in settings.menu().actions() if a.text() == "System &Functions")
    carts = next(a for a in system.menu().actions() if a.text() == "Shopping &Carts")
    carts.trigger()
    assert menu.screens[ShoppingCarts].isVisible()
    for screen in menu.screens.values():
        qtbot.waitUntil(lambda s=screen: not s.busy, timeout=5000)
        screen.close()


def test_the_order_screens_open_from_quick_clicks_and_the_orders_menu(
    qtbot: QtBot, menu: MainMenu
) -> None:
    qtbot.mouseClick(menu.quick_buttons[Pos], Qt.MouseButton.LeftButton)
    pos = menu.screens[Pos]
    assert isinstance(pos, Pos) and pos.isVisible()
    assert pos.windowTitle() == "SEOM Desktop - POS[*]"
    orders = next(a for a in menu.menuBar().actions() if a.text() == "Or&ders")
    actions = {a.text().replace("&", ""): a for a in orders.menu().actions()}
    assert list(actions) == ["Order Entry", "POS", "Receive PO", "Import Orders"]
    for text, cls in (
        ("Order Entry", OrderEntry),
        ("Receive PO", ReceivePo),
        ("Import Orders", ImportOrders),
    ):
        actions[text].trigger()
        assert isinstance(menu.screens[cls], cls) and menu.screens[cls].isVisible()
    actions["POS"].trigger()
    assert menu.screens[Pos] is pos  # one window per screen
    for screen in menu.screens.values():
        qtbot.waitUntil(lambda s=screen: not s.busy, timeout=5000)
        screen.close()


def test_clicking_bypassed_shows_the_bypassed_rows(qtbot: QtBot, menu: MainMenu) -> None:
    qtbot.mouseClick(menu.bypassed_button, Qt.MouseButton.LeftButton)
    viewer = menu.screens[StackViewer]
    assert isinstance(viewer, StackViewer)
    assert viewer.current_filter().status == "bypassed"
    assert viewer.current_filter().workstation is None
    qtbot.waitUntil(lambda: not viewer.busy, timeout=5000)
    viewer.close()


def test_a_crash_is_shown_and_logged(shown: Dialogs, caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        app._excepthook(ValueError, exc, exc.__traceback__)
    assert shown.seen == [
        ("error", "Unexpected error", "ValueError: boom\n\nThe details were written to the log.")
    ]
    assert "Traceback" in caplog.text
