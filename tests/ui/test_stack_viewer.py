"""The Stack Controller screen: the web stack as a live table, filters, actions, state."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.stack.rows import list_stack
from seom_desktop.store import Store
from seom_desktop.store.models import StackRow, Workstation
from seom_desktop.ui.controller_thread import ControllerThread
from seom_desktop.ui.stack_viewer import StackViewer
from tests.shops import Shop
from tests.ui.conftest import Dialogs


def _change(store: Store, sku: str, delta: int, pc: str = "TEST-PC") -> None:
    with store.write() as session:
        apply_change(session, QohChange(sku, Source.POS_SALE, delta=delta), pc)


def _viewer(qtbot: QtBot, store: Store) -> StackViewer:
    viewer = StackViewer(store, "TEST-PC")
    qtbot.addWidget(viewer)
    qtbot.waitUntil(lambda: not viewer.busy and viewer.model.exhausted, timeout=5000)
    return viewer


def _cells(viewer: StackViewer, row: int) -> list[str]:
    model = viewer.model
    return [str(model.data(model.index(row, c))) for c in range(model.columnCount())]


def test_rows_filters_and_the_controller_state(qtbot: QtBot, shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 5}, {"Shop": "shopify", "Woo": "woocommerce"})
    _change(shop.store, "A1", -2)
    _change(shop.store, "B2", 3, pc="OTHER-PC")
    viewer = _viewer(qtbot, shop.store)
    assert viewer.model.headers == (
        "ID",
        "Cart",
        "SKU",
        "Change",
        "Created",
        "Origin PC",
        "Attempts",
        "Last Response",
        "Status",
    )
    assert [r.origin_workstation for r in viewer.model.rows] == ["TEST-PC", "TEST-PC"]
    first = _cells(viewer, 0)
    assert first[1:4] == ["Shop", "A1", "-2"] and first[5:7] == ["TEST-PC", "0"]
    assert first[8] == "pending"
    viewer.set_filter(all_pcs=True)
    qtbot.waitUntil(lambda: len(viewer.model.rows) == 4, timeout=5000)
    viewer.set_filter(cart="Woo")
    qtbot.waitUntil(lambda: len(viewer.model.rows) == 2, timeout=5000)
    assert {r.cart for r in viewer.model.rows} == {"Woo"}
    viewer.set_filter(status="sent")
    qtbot.waitUntil(lambda: viewer.model.exhausted and not viewer.model.rows, timeout=5000)
    with qtbot.waitSignal(viewer.refreshed, timeout=5000):
        viewer.refresh()
    assert "Local stack" in viewer.state_label.text()
    assert "Pending: 4" in viewer.state_label.text()
    assert viewer.backlog_chart.series("Backlog")[-1] == 4


def test_rows_update_in_place_as_the_controller_sends(qtbot: QtBot, shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    _change(shop.store, "A1", -1)
    viewer = _viewer(qtbot, shop.store)
    viewer.set_filter(status="all")
    qtbot.waitUntil(lambda: len(viewer.model.rows) == 1, timeout=5000)
    generation = viewer.model._generation
    thread = ControllerThread(shop.store, "TEST-PC")
    thread.stack_event.connect(viewer.on_stack_event)
    thread.start()
    try:
        qtbot.waitUntil(lambda: viewer.model.rows[0].status == "sent", timeout=15_000)
        _change(shop.store, "A1", -2)  # a new row appears without a reload
        qtbot.waitUntil(lambda: len(viewer.model.rows) == 2, timeout=15_000)
    finally:
        thread.stop()
    assert viewer.model._generation == generation
    assert shop.cart_qoh("Shop") == {"A1": 7}


def test_bypass_retry_delete_and_pause(qtbot: QtBot, shop_factory: Any, shown: Dialogs) -> None:
    shop: Shop = shop_factory({"A1": 10, "B2": 10}, {"Shop": "shopify"})
    shop.store.register_workstation("TEST-PC")
    _change(shop.store, "A1", -1)
    _change(shop.store, "B2", -1)
    viewer = _viewer(qtbot, shop.store)
    ids = [r.id for r in viewer.model.rows]
    viewer.select_ids([ids[0]])
    assert viewer.bypass_button.isEnabled()
    qtbot.mouseClick(viewer.bypass_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.model.rows[0].status == "bypassed", timeout=5000)
    viewer.select_ids([ids[0]])
    qtbot.mouseClick(viewer.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.model.rows[0].status == "pending", timeout=5000)
    assert viewer.model.rows[0].last_response == "retry requested"

    viewer.select_ids([ids[1]])
    shown.answers = [False]
    qtbot.mouseClick(viewer.delete_button, Qt.MouseButton.LeftButton)
    assert "1 of them have not reached their cart" in shown.seen[-1][2]
    shown.answers = [True]
    qtbot.mouseClick(viewer.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(viewer.model.rows) == 1, timeout=5000)
    with shop.store.read() as session:
        assert [r.id for r in list_stack(session, status="all")] == [ids[0]]
        assert session.scalar(select(StackRow.id).where(StackRow.id == ids[1])) is None

    qtbot.mouseClick(viewer.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.paused, timeout=5000)
    with shop.store.read() as session:
        assert session.scalar(select(Workstation.paused).where(Workstation.name == "TEST-PC"))
    qtbot.waitUntil(lambda: "Resume" in viewer.pause_button.text(), timeout=5000)
    qtbot.mouseClick(viewer.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not viewer.paused, timeout=5000)
    assert shown.errors() == []
