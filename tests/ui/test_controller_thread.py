"""The stack controller on a QThread sends while the GUI thread stays free."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.ui.controller_thread import ControllerThread
from tests.shops import Shop


def test_changes_are_sent_from_the_controller_thread(qtbot: QtBot, shop_factory: Any) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    thread = ControllerThread(shop.store, "TEST-PC")
    seen: list[tuple[str, str, int, str]] = []
    thread.stack_event.connect(lambda *args: seen.append(args))
    thread.start()
    try:
        with (
            qtbot.waitSignal(
                thread.stack_event,
                timeout=10_000,
                check_params_cb=lambda kind, *_: kind == "sent",
            ),
            shop.store.write() as session,
        ):
            apply_change(session, QohChange("A1", Source.POS_SALE, delta=-2), "TEST-PC")
        assert shop.cart_qoh("Shop") == {"A1": 8}
    finally:
        thread.stop()
    assert thread.isFinished()
    assert ("sent", "Shop", 1) in [s[:3] for s in seen]
