"""Shopping Carts: the Current Carts List, the cart form, Test Connection, Save, Delete."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.ui.shopping_carts import ShoppingCarts
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> ShoppingCarts:
    screen = ShoppingCarts(store, "TEST-PC")
    qtbot.addWidget(screen)
    return screen


def _choose_type(screen: ShoppingCarts, key: str) -> None:
    screen.type_combo.setCurrentIndex(screen.type_combo.findData(key))


def test_a_clerk_defines_a_new_cart(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    screen = _screen(qtbot, store)
    assert screen.cart_list.count() == 0
    assert not screen.form_box.isEnabled()
    qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(screen.name_edit, "Web Store")
    _choose_type(screen, "woocommerce")
    qtbot.keyClicks(screen.url_edit, "https://shop.example")
    qtbot.keyClicks(screen.user_edit, "ck_1")
    qtbot.keyClicks(screen.secret_edit, "cs_secret")
    assert screen.secret_edit.echoMode() == screen.secret_edit.EchoMode.Password
    qtbot.keyClicks(screen.options_edit, "timeout=20")
    screen.batch_spin.setValue(25)
    assert screen.isWindowModified()
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    with store.read() as session:
        (cart,) = cart_records.list_carts(session)
    assert (cart.name, cart.platform, cart.url, cart.username, cart.secret) == (
        "Web Store",
        "woocommerce",
        "https://shop.example",
        "ck_1",
        "cs_secret",
    )
    assert cart.options == {"timeout": "20"}
    assert cart.order_download_batch == 25
    assert cart.active and not cart.sync_inventory
    assert not screen.isWindowModified()
    assert screen.cart_list.count() == 1
    assert shown.seen == []


def test_synchronize_inventory_shows_only_with_synchqoh_and_a_realtime_cart(
    qtbot: QtBot, store: Store
) -> None:
    with store.write() as session:
        cart_records.add_cart(session, "Shop", "shopify", "https://s.example", secret="tok")
    screen = _screen(qtbot, store)
    screen.edit_selected()
    assert screen.sync_box.isHidden()  # SynchQOH is FALSE
    screen.close()
    with store.write() as session:
        params.set_value(session, "SynchQOH", True)
    screen = _screen(qtbot, store)
    qtbot.mouseClick(screen.edit_button, Qt.MouseButton.LeftButton)
    assert not screen.sync_box.isHidden()
    _choose_type(screen, "manual")
    assert screen.sync_box.isHidden()
    _choose_type(screen, "shopify")
    screen.sync_box.setChecked(True)
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    with store.read() as session:
        cart = cart_records.get_cart(session, "Shop")
        assert cart.sync_inventory
        assert cart.secret == "tok"  # an empty password field keeps the stored one


def test_test_connection_runs_off_the_gui_thread_and_shows_the_answer(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 1}, {"Main": "shopify"})
    screen = _screen(qtbot, shop.store)
    screen.edit_selected()
    with qtbot.waitSignal(screen.tested, timeout=10_000) as blocker:
        qtbot.mouseClick(screen.test_button, Qt.MouseButton.LeftButton)
        assert screen.test_result.text() == "Testing..."
    assert blocker.args[0].startswith("Connected to Shopify")
    assert screen.test_result.text() == blocker.args[0]

    qtbot.keyClicks(screen.secret_edit, "shpat_wrong")
    with qtbot.waitSignal(screen.tested, timeout=10_000):
        qtbot.mouseClick(screen.test_button, Qt.MouseButton.LeftButton)
    (error,) = shown.errors()
    assert error.startswith("Test Connection failed")
    assert "shpat_wrong" not in error


def test_unsaved_changes_are_not_lost_silently(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    with store.write() as session:
        cart_records.add_cart(session, "Shop", "generic", "https://s.example/seom.php")
    screen = _screen(qtbot, store)
    screen.show()
    screen.edit_selected()
    qtbot.keyClicks(screen.url_edit, "x")
    shown.answers = [False]
    screen.close()
    assert screen.isVisible()
    assert shown.seen[-1][1] == "Unsaved changes"
    shown.answers = [False]
    qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    assert screen.editing is not None and screen.url_edit.text().endswith("x")
    shown.answers = [True]
    assert screen.close()


@pytest.mark.parametrize("answer", [False, True])
def test_delete_asks_first_and_says_what_is_dropped(
    qtbot: QtBot, store: Store, shown: Dialogs, answer: bool
) -> None:
    with store.write() as session:
        params.set_value(session, "SynchQOH", True)
        cart_records.add_cart(session, "Shop", "shopify", "https://s.example")
        cart_records.set_sync(session, "Shop", True)
        from seom_desktop.inventory.products import add_product

        add_product(session, "A1", "TEST-PC", qoh=3)
        apply_change(session, QohChange("A1", Source.POS_SALE, delta=-1), "TEST-PC")
    screen = _screen(qtbot, store)
    shown.answers = [answer]
    qtbot.mouseClick(screen.delete_button, Qt.MouseButton.LeftButton)
    assert "1 change(s) waiting" in shown.seen[0][2]
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    with store.read() as session:
        left = cart_records.list_carts(session)
    assert len(left) == (0 if answer else 1)
    assert screen.cart_list.count() == len(left)


def test_a_miva_cart_says_to_empty_the_baskets(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    screen = _screen(qtbot, store)
    qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    _choose_type(screen, "miva")
    assert "basket" in screen.caps_label.text().lower()
    _choose_type(screen, "shopify")
    assert "basket" not in screen.caps_label.text().lower()
