"""Screenshots of every screen, from the demo store, for the README.

    python -m seom_desktop.ui.screenshots [--out docs/screenshots]

Builds a fresh demo store in a temporary folder with the demo sandbox carts running, makes a
few changes (so the history, the web stack and the charts have something to show), opens
each screen offscreen, drives it as a clerk would and saves ``QWidget.grab()`` as PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication, QWidget

from seom_desktop.demo import populate_demo, start_demo_carts, stop_demo_carts
from seom_desktop.inventory import orders, purchasing
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.lines import Line
from seom_desktop.stack import actions, browse
from seom_desktop.stack.browse import StackFilter
from seom_desktop.stack.engine import StackController
from seom_desktop.store import Store, open_store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.ui import dialogs, workers
from seom_desktop.ui.adjust_inventory import AdjustInventory
from seom_desktop.ui.advanced_cart_functions import AdvancedCartFunctions
from seom_desktop.ui.first_launch import FirstLaunch
from seom_desktop.ui.import_orders import ImportOrders
from seom_desktop.ui.main_menu import MainMenu
from seom_desktop.ui.order_entry import OrderEntry
from seom_desktop.ui.pos import Pos
from seom_desktop.ui.receive_po import ReceivePo
from seom_desktop.ui.shopping_carts import ShoppingCarts
from seom_desktop.ui.stack_viewer import StackViewer
from seom_desktop.ui.system_parameters import SystemParameters
from seom_desktop.ui.view_inventory import ViewInventory

WORKSTATION = "FRONT-DESK"


def settle(until: Callable[[], bool] = lambda: True, timeout: float = 20.0) -> None:
    """Let the background tasks finish and their results reach the screens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers.wait_for_all(50)
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if until() and workers.pool().activeThreadCount() == 0:
            QCoreApplication.processEvents()
            return
    raise TimeoutError("the screen did not settle")


def shoot(widget: QWidget, out: Path, name: str) -> Path:
    widget.show()
    settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")
    return path


def prepare(store: Store) -> None:
    """Real-time sync on for two carts, a few adjustments sent, a few waiting, one bypassed;
    a phone order, a POS sale and two purchase orders (one partly received)."""
    with store.write() as session:
        params.set_value(session, "SynchQOH", True)
        cart_records.set_sync(session, "Demo Shopify", True)
        cart_records.set_sync(session, "Demo WooCommerce", True)
    for sku, delta, reason in (
        ("BLUMUG-100", 12, "Received without PO"),
        ("BLUMUG-100", -3, "Damaged"),
        ("TEA-103", -2, "Lost or stolen"),
        ("BLUMUG-100", 5, "Returned by customer"),
    ):
        with store.write() as session:
            apply_change(
                session,
                QohChange(sku, Source.MANUAL_ADJUSTMENT, delta=delta, reason=reason),
                WORKSTATION,
            )
    StackController(store, WORKSTATION).run_once(max_wait=20)
    for sku, delta in (("REDMUG-101", -1), ("GREMUG-102", 4), ("BLUMUG-100", -2)):
        with store.write() as session:
            apply_change(session, QohChange(sku, Source.POS_SALE, delta=delta), "BACK-OFFICE")
    with store.write() as session:
        waiting = browse.stack_page(session, StackFilter(status="pending"), limit=1)
        if waiting:
            actions.bypass(session, waiting[0].id)
    with store.write() as session:
        orders.add_order(
            session,
            [Line("TEA-103", 1), Line("REDMUG-101", 2)],
            WORKSTATION,
            cart_name="Demo Shopify",
        )
        orders.pos_sale(session, [Line("BLUMUG-100", 1)], WORKSTATION)
        first = purchasing.create_po(
            session,
            "Stoneware Supply Co.",
            [Line("BLUMUG-100", 48), Line("REDMUG-101", 24)],
            WORKSTATION,
        )
        purchasing.receive_po(session, first, [Line("BLUMUG-100", 24)], WORKSTATION)
        purchasing.create_po(session, "Leaf & Kettle", [Line("TEA-103", 36)], WORKSTATION)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    dialogs.set_hook(lambda kind, title, message: True)  # answer Yes, show nothing
    dialogs.set_path_hook(lambda title, suggested: None)
    with tempfile.TemporaryDirectory(prefix="seom-shots") as tmp:
        os.environ["SEOM_HOME"] = tmp
        store = open_store(str(Path(tmp) / "demo-store.seom"), create=True)
        store.register_workstation(WORKSTATION)
        populate_demo(store, WORKSTATION)
        sandboxes = start_demo_carts(store)
        try:
            prepare(store)
            sandboxes[0].place_order([("BLUMUG-100", 2), ("TEA-103", 1)])  # a web order
            run_all(store, out)
            for widget in QApplication.topLevelWidgets():
                widget.deleteLater()
            settle()
        finally:
            workers.wait_for_all()
            stop_demo_carts(sandboxes)
            store.close()
    del app
    return 0


def run_all(store: Store, out: Path) -> None:
    menu = MainMenu(store, WORKSTATION)
    menu.resize(820, 340)
    shoot(menu, out, "main-menu")

    first = FirstLaunch()
    first.name_edit.setText(WORKSTATION)
    first.store_edit.setText(r"\\SHOP-SERVER\seom\store.seom")
    shoot(first, out, "first-launch")
    first.close()

    carts = ShoppingCarts(store, WORKSTATION)
    carts.select_cart("Demo Shopify")
    carts.edit_selected()
    carts.test_connection()
    settle(lambda: carts.test_result.text() != "Testing...")
    shoot(carts, out, "shopping-carts")
    carts.close()

    with store.write() as session:
        cart_records.set_sync(session, "Demo Shopify", False)
    advanced = AdvancedCartFunctions(store, WORKSTATION)
    advanced.select_cart("Demo Shopify")
    advanced.send_button.click()
    settle(lambda: advanced.task is None)
    shoot(advanced, out, "advanced-cart-functions")
    advanced.close()
    with store.write() as session:
        cart_records.set_sync(session, "Demo Shopify", True)

    adjust = AdjustInventory(store, WORKSTATION, "BLUMUG-100")
    adjust.add_edit.setText("12")
    adjust.add_edit.textEdited.emit("12")
    adjust.reason.setCurrentText("Physical count")
    shoot(adjust, out, "adjust-inventory")
    adjust.setWindowModified(False)
    adjust.close()

    inventory = ViewInventory(store, WORKSTATION)
    settle(lambda: bool(inventory.model.rows))
    inventory.select_sku("BLUMUG-100")
    settle(lambda: inventory.details is not None)
    inventory.tabs.setCurrentIndex(2)
    shoot(inventory, out, "view-inventory-history")
    inventory.tabs.setCurrentIndex(1)
    shoot(inventory, out, "view-inventory-web-fields")
    inventory.close()

    parameters = SystemParameters(store, WORKSTATION)
    shoot(parameters, out, "system-parameters")
    parameters.close()

    entry = OrderEntry(store, WORKSTATION)
    settle(lambda: entry.recent_table.rowCount() > 0)
    entry.channel.setCurrentText("Demo WooCommerce")
    for sku, quantity in (("BLUMUG-100", "2"), ("TEA-103", "1")):
        entry.entry.sku.setText(sku)
        entry.entry.quantity.setText(quantity)
        entry.entry.add()
    settle(lambda: not entry.entry.pending)
    shoot(entry, out, "order-entry")
    entry.entry.clear()
    entry.close()

    pos = Pos(store, WORKSTATION)
    for sku in ("REDMUG-101", "REDMUG-101", "GREMUG-102"):
        pos.entry.sku.setText(sku)
        pos.entry.add()
    settle(lambda: not pos.entry.pending)
    shoot(pos, out, "pos")
    pos.entry.clear()
    pos.close()

    receive = ReceivePo(store, WORKSTATION)
    settle(lambda: receive.current is not None)
    receive.select_po(
        next(po.number for po in receive.purchase_orders if po.supplier.startswith("Stoneware"))
    )
    receive.set_receive_now("BLUMUG-100", 24)
    shoot(receive, out, "receive-po")
    receive.receive_now = {}
    receive.close()

    importer = ImportOrders(store, WORKSTATION)
    settle(lambda: importer.cart.count() > 0)
    importer.import_button.click()
    settle(lambda: importer.task is None)
    shoot(importer, out, "import-orders")
    importer.close()

    stack = StackViewer(store, WORKSTATION)
    stack.set_filter(status="all", all_pcs=True)
    settle(lambda: stack.model.exhausted and not stack.busy)
    stack.refresh()
    settle(lambda: not stack.busy)
    shoot(stack, out, "stack-controller")
    stack.close()
    menu.refresh()
    settle(lambda: not menu._refreshing)
    shoot(menu, out, "main-menu")
    menu.close()


if __name__ == "__main__":
    sys.exit(main())
