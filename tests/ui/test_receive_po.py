"""Receive PO: the open POs, Receive Now (typed, scanned, all outstanding), refusing to
over-receive, and creating a PO from the New PO dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from seom_desktop.inventory import purchasing
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.products import add_product
from seom_desktop.store import Store
from seom_desktop.store.models import LedgerEntry, Product
from seom_desktop.ui.receive_po import ReceivePo
from tests.ui.conftest import Dialogs


def _qoh(store: Store, sku: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(Product.qoh).where(Product.sku == sku)) or 0)


def _po(store: Store, number: int) -> tuple[str, list[tuple[str, int, int]]]:
    with store.read() as session:
        po = purchasing.get_po(session, number)
    return po.status, [(line.sku, line.ordered, line.received) for line in po.lines]


def _receipts(store: Store) -> list[tuple[str, str | None, int, str]]:
    with store.read() as session:
        rows = session.execute(
            select(LedgerEntry.sku, LedgerEntry.document, LedgerEntry.delta, LedgerEntry.reason)
            .where(LedgerEntry.source == "PO receipt")
            .order_by(LedgerEntry.id)
        ).all()
    return [(sku, document, delta, reason) for sku, document, delta, reason in rows]


def _store_with_po(store: Store) -> int:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=2)
        add_product(session, "B2", "TEST-PC", qoh=0)
        return purchasing.create_po(session, "Acme", [Line("A1", 10), Line("B2", 4)], "TEST-PC")


def _screen(qtbot: QtBot, store: Store) -> ReceivePo:
    screen = ReceivePo(store, "TEST-PC")
    qtbot.addWidget(screen)
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    return screen


def test_receiving_part_of_a_po_raises_qoh(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    number = _store_with_po(store)
    screen = _screen(qtbot, store)
    assert screen.po_table.rowCount() == 1
    assert [screen.po_table.item(0, c).text() for c in range(5)] == [
        str(number),
        "Acme",
        "open",
        "14",
        "14",
    ]
    assert screen.current is not None and screen.current.number == number
    assert [screen.lines_table.item(0, c).text() for c in range(5)] == ["A1", "10", "0", "10", "0"]
    assert not screen.receive_button.isEnabled()  # nothing to receive yet

    screen.set_receive_now("A1", 6)
    assert screen.receive_button.isEnabled()
    with qtbot.waitSignal(screen.received, timeout=5000):
        qtbot.mouseClick(screen.receive_button, Qt.MouseButton.LeftButton)
    assert _qoh(store, "A1") == 8 and _qoh(store, "B2") == 0
    assert _po(store, number) == ("partly received", [("A1", 10, 6), ("B2", 4, 0)])
    assert _receipts(store) == [("A1", str(number), 6, "Acme")]
    assert screen.last_result.startswith(f"Received 6 units on PO {number} (Acme): A1 2 -> 8 (+6)")
    assert screen.last_result.endswith(f"PO {number} is partly received.")
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    assert screen.po_table.item(0, 2).text() == "partly received"
    assert [screen.lines_table.item(0, c).text() for c in range(5)] == ["A1", "10", "6", "4", "0"]
    assert shown.seen == []


def test_over_receiving_is_refused_and_nothing_changes(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    number = _store_with_po(store)
    screen = _screen(qtbot, store)
    screen.set_receive_now("B2", 3)
    screen.set_receive_now("A1", 11)
    assert screen.message.text() == "A1: 11 to receive, only 10 outstanding"  # said at once
    qtbot.mouseClick(screen.receive_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown.errors()), timeout=5000)
    assert shown.errors()[0].startswith("Cannot receive the purchase order: cannot receive 11")
    assert screen.message.text().startswith("Nothing was received: cannot receive 11 of A1")
    assert _qoh(store, "A1") == 2 and _qoh(store, "B2") == 0  # B2 was not received either
    assert _po(store, number) == ("open", [("A1", 10, 0), ("B2", 4, 0)])
    assert _receipts(store) == []
    assert screen.receive_now == {"A1": 11, "B2": 3}  # what the clerk typed is kept

    screen.set_receive_now("A1", 10)
    with qtbot.waitSignal(screen.received, timeout=5000):
        qtbot.mouseClick(screen.receive_button, Qt.MouseButton.LeftButton)
    assert _po(store, number) == ("partly received", [("A1", 10, 10), ("B2", 4, 3)])


def test_scanning_and_receive_all_outstanding(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    number = _store_with_po(store)
    screen = _screen(qtbot, store)
    for sku in ("B2", "b2"):
        qtbot.keyClicks(screen.scan, sku)
        qtbot.keyClick(screen.scan, Qt.Key.Key_Return)
    qtbot.keyClicks(screen.scan, "ZZZ")
    qtbot.keyClick(screen.scan, Qt.Key.Key_Return)
    assert screen.message.text() == f"ZZZ is not on purchase order {number}."
    assert screen.scan.text() == "ZZZ"
    assert screen.receive_now == {"A1": 0, "B2": 2}
    assert screen.lines_table.item(1, 4).text() == "2"

    qtbot.mouseClick(screen.all_button, Qt.MouseButton.LeftButton)
    assert screen.receive_now == {"A1": 10, "B2": 4}
    with qtbot.waitSignal(screen.received, timeout=5000):
        qtbot.mouseClick(screen.receive_button, Qt.MouseButton.LeftButton)
    assert _qoh(store, "A1") == 12 and _qoh(store, "B2") == 4
    assert _po(store, number) == ("received", [("A1", 10, 10), ("B2", 4, 4)])
    assert _receipts(store) == [("A1", str(number), 10, "Acme"), ("B2", str(number), 4, "Acme")]
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)
    assert screen.po_table.rowCount() == 0  # received: no longer open
    assert screen.current is None
    with qtbot.waitSignal(screen.loaded, timeout=5000):
        screen.show_received.setChecked(True)
    assert screen.po_table.item(0, 2).text() == "received"


def test_a_new_po_is_created_from_the_dialog(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    with store.write() as session:
        add_product(session, "A1", "TEST-PC", qoh=2)
    screen = _screen(qtbot, store)
    assert screen.po_table.rowCount() == 0
    dialog = screen.new_po()
    qtbot.keyClicks(dialog.entry.sku, "A1")
    dialog.entry.quantity.selectAll()
    qtbot.keyClicks(dialog.entry.quantity, "24")
    with qtbot.waitSignal(dialog.entry.looked_up, timeout=5000):
        qtbot.keyClick(dialog.entry.quantity, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter added the line; it did not press Create
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Type the supplier's name."
    qtbot.keyClicks(dialog.supplier, "Acme")
    with qtbot.waitSignal(screen.created, timeout=5000) as blocker:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    number = blocker.args[0]
    assert not dialog.isVisible()
    assert _po(store, number) == ("open", [("A1", 24, 0)])
    assert _qoh(store, "A1") == 2  # ordered, not received
    assert screen.last_result == f"Purchase order {number} created for Acme: 24 units ordered."
    qtbot.waitUntil(lambda: screen.current is not None, timeout=5000)
    assert screen.current is not None and screen.current.number == number
    assert shown.seen == []
