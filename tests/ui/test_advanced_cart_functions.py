"""Advanced Cart Functions: Send / Get QOH with progress, Cancel, summary and CSV report."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.ui.advanced_cart_functions import AdvancedCartFunctions
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> AdvancedCartFunctions:
    screen = AdvancedCartFunctions(store, "TEST-PC")
    qtbot.addWidget(screen)
    return screen


def _unsync(store: Store, name: str) -> None:
    with store.write() as session:
        cart_records.set_sync(session, name, False)


def test_send_qoh_reminds_runs_and_reports(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs, tmp_path: Path
) -> None:
    shop: Shop = shop_factory({f"S{n:03d}": n for n in range(120)}, {"Web": "generic"})
    _unsync(shop.store, "Web")
    for sku in ("S001", "S002"):
        shop.carts["Web"].catalog.get(sku).qoh = 0  # type: ignore[union-attr]
    screen = _screen(qtbot, shop.store)
    assert screen.send_button.text() == "&Send QOH to Stone Edge Generic Cart"
    assert screen.max_items.value() == 50
    assert screen.send_button.isEnabled() and screen.get_button.isEnabled()
    screen.max_items.setValue(40)
    with qtbot.waitSignal(screen.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
        assert not screen.send_button.isEnabled()  # running
    assert shown.seen[0][1] == "Import outstanding orders first"
    assert len(shown.seen) == 1  # not synchronized in real time: no second warning
    assert blocker.args[0] == "Sent 120 item(s)."
    assert shop.cart_qoh("Web")["S001"] == 1
    assert screen.report_model.rowCount() == 120
    assert (screen.progress.value(), screen.progress.maximum()) == (120, 120)
    assert sum(shop.carts["Web"].stats.to_json()["operations"].values()) == 3  # 120 / 40

    shown.paths = [str(tmp_path / "report.csv")]
    qtbot.mouseClick(screen.save_report_button, Qt.MouseButton.LeftButton)
    rows = list(csv.DictReader((tmp_path / "report.csv").open()))
    assert len(rows) == 120 and rows[0]["status"] == "ok"


def test_the_clerk_can_decline_and_is_warned_when_realtime_is_on(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 4}, {"Web": "shopify"})
    screen = _screen(qtbot, shop.store)
    assert "initial synchronization" in screen.realtime_note.text()
    shown.answers = [False]
    qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
    assert screen.task is None and len(shown.seen) == 1
    shown.answers = [True, False]
    qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
    assert shown.seen[-1][1] == "Real-time synchronization is on"
    assert screen.task is None
    shown.answers = [True, True]
    with qtbot.waitSignal(screen.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "Sent 1 item(s)."


def test_get_qoh_creates_new_products_when_asked(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({"A1": 4}, {"Web": "woocommerce"})
    _unsync(shop.store, "Web")
    shop.carts["Web"].catalog.get("A1").qoh = 9  # type: ignore[union-attr]
    import requests

    requests.post(shop.carts["Web"].url + "/_sandbox/inventory", json={"A1": 9}, timeout=5)
    screen = _screen(qtbot, shop.store)
    assert screen.get_button.text() == "&Get QOH from WooCommerce"
    qtbot.keyClick(screen.create_new, Qt.Key.Key_Space)
    with qtbot.waitSignal(screen.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(screen.get_button, Qt.MouseButton.LeftButton)
    assert "1 QOH changed" in blocker.args[0]
    assert shown.seen == []


def test_buttons_follow_the_cart_capabilities(qtbot: QtBot, store: Store) -> None:
    with store.write() as session:
        cart_records.add_cart(session, "Counter", "manual", "")
        cart_records.add_cart(session, "Web", "woocommerce", "https://w.example")
    screen = _screen(qtbot, store)
    screen.select_cart("Counter")
    assert not screen.send_button.isEnabled() and not screen.get_button.isEnabled()
    assert "do not exchange quantities" in screen.realtime_note.text()
    screen.select_cart("Web")
    assert screen.send_button.isEnabled() and screen.get_button.isEnabled()
    assert screen.realtime_note.text() == ""


def test_a_long_send_keeps_the_window_responsive_and_can_be_cancelled(
    qtbot: QtBot, shop_factory: Any, shown: Dialogs
) -> None:
    shop: Shop = shop_factory({f"S{n:04d}": 1 for n in range(400)}, {"Web": "generic"})
    _unsync(shop.store, "Web")
    screen = _screen(qtbot, shop.store)
    screen.max_items.setValue(1)
    with qtbot.waitSignal(screen.progress.valueChanged, timeout=20_000):
        qtbot.mouseClick(screen.send_button, Qt.MouseButton.LeftButton)
    assert screen.cancel_button.isEnabled()
    with qtbot.waitSignal(screen.finished, timeout=20_000) as blocker:
        qtbot.mouseClick(screen.cancel_button, Qt.MouseButton.LeftButton)
    assert "Cancelled by the clerk" in blocker.args[0]
    assert 0 < screen.report_model.rowCount() < 400
    assert screen.send_button.isEnabled()
