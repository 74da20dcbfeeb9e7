"""Receive PO: receive the stock of a purchase order, in full or in part; create a PO.

The list shows the open (and partly received) purchase orders with supplier and status ("Show
received POs" adds the finished ones). The selected PO's lines show Ordered, Received,
Outstanding and an editable **Receive Now** column that starts at 0; scanning a SKU in the
Scan field adds one (or the typed quantity) to its Receive Now, and [Receive All Outstanding]
fills the column with what is outstanding. [Receive] raises QOH through
:func:`seom_desktop.inventory.purchasing.receive_po` (every synchronized cart is told); asking
for more than is outstanding is refused and nothing changes. [New PO...] opens a small dialog:
supplier and lines.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.errors import SeomError
from seom_desktop.inventory import purchasing
from seom_desktop.inventory.changes import AppliedChange, stack_rows_written
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.purchasing import PoSummary
from seom_desktop.inventory.quantities import parse_quantity
from seom_desktop.store import Store
from seom_desktop.store.models import local_time
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen, message_label, result_label
from seom_desktop.ui.order_entry import (
    INVALID,
    LineEntry,
    plural,
    sentence,
    set_cell,
)

RECEIVE_NOW = 4


@dataclass(frozen=True)
class Received:
    """A receipt that committed: the changes and the PO as it now stands."""

    changes: list[AppliedChange]
    po: PoSummary


def changes_text(changes: Sequence[AppliedChange]) -> str:
    return ", ".join(f"{c.sku} {c.qoh_before} -> {c.qoh_after} ({c.delta:+d})" for c in changes)


class NewPoDialog(QDialog):
    """Supplier and SKU/quantity lines. [Create PO] asks the screen to create it; the dialog
    stays open (with what was typed) until that has committed."""

    submitted = Signal()

    def __init__(self, screen: Screen) -> None:
        super().__init__(screen)
        self.setWindowTitle("New purchase order")
        self.supplier = QLineEdit()
        self.supplier.setObjectName("supplier")
        self.entry = LineEntry(screen, self)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020;")
        self.create_button = QPushButton("&Create PO")
        self.cancel_button = QPushButton("Cancel")
        for button in (self.create_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter in the SKU field adds a line, never creates
        form = QFormLayout()
        form.addRow("Su&pplier:", self.supplier)
        label = form.labelForField(self.supplier)
        if isinstance(label, QLabel):
            label.setBuddy(self.supplier)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.entry, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.supplier.returnPressed.connect(self.entry.sku.setFocus)
        self.entry.problem.connect(self.message.setText)
        self.create_button.clicked.connect(self._create)
        self.cancel_button.clicked.connect(self.reject)
        self.resize(560, 420)

    def _create(self) -> None:
        if not self.supplier.text().strip():
            self.message.setText("Type the supplier's name.")
            self.supplier.setFocus()
            return
        if self.entry.pending:
            self.message.setText("A SKU is still being looked up; try again in a moment.")
            return
        if not self.entry.lines():
            self.message.setText("Scan or type the SKU of each item ordered.")
            self.entry.sku.setFocus()
            return
        self.message.clear()
        self.create_button.setEnabled(False)
        self.submitted.emit()

    def failed(self, message: str) -> None:
        self.message.setText("The purchase order was not created: " + message.splitlines()[0])
        self.create_button.setEnabled(True)

    def reject(self) -> None:
        if self.entry.entries and not dialogs.confirm(
            self, "New purchase order", "The purchase order was not created. Close and lose it?"
        ):
            return
        super().reject()


class ReceivePo(Screen):
    title = "Receive PO"
    received = Signal(object)
    """The :class:`Received`, after a receipt committed."""
    created = Signal(int)
    """A new PO's number."""
    loaded = Signal()
    """The PO list was (re)read."""

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.purchase_orders: list[PoSummary] = []
        self.current: PoSummary | None = None
        self.receive_now: dict[str, int] = {}
        self.last_result = ""
        self.new_po_dialog: NewPoDialog | None = None
        self._receiving = False

        self.po_table = QTableWidget(0, 6)
        self.po_table.setObjectName("purchase_orders")
        self.po_table.setHorizontalHeaderLabels(
            ["PO", "Supplier", "Status", "Ordered", "Outstanding", "Created"]
        )
        self.po_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.po_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.po_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.po_table.verticalHeader().setVisible(False)
        self.po_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.show_received = QCheckBox("Show r&eceived POs")
        self.new_button = QPushButton("&New PO...")
        self.refresh_button = QPushButton("Re&fresh")

        self.lines_table = QTableWidget(0, 5)
        self.lines_table.setObjectName("po_lines")
        self.lines_table.setHorizontalHeaderLabels(
            ["SKU", "Ordered", "Received", "Outstanding", "Receive Now"]
        )
        self.lines_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.lines_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.lines_table.verticalHeader().setVisible(False)
        self.lines_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.scan = QLineEdit()
        self.scan.setObjectName("scan")
        self.scan.setPlaceholderText("scan a SKU to add one to its Receive Now")
        self.scan_quantity = QLineEdit("1")
        self.scan_quantity.setMaximumWidth(80)
        self.scan_quantity.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.all_button = QPushButton("Receive &All Outstanding")
        self.receive_button = QPushButton("&Receive")
        self.receive_button.setObjectName("receive")
        self.message = message_label()
        self.result = result_label()
        self.close_button = QPushButton("&Close")

        list_box = QGroupBox("Purchase orders")
        list_layout = QVBoxLayout(list_box)
        list_layout.addWidget(self.po_table, 1)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.show_received)
        list_buttons.addStretch(1)
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.refresh_button)
        list_layout.addLayout(list_buttons)
        self.lines_box = QGroupBox("Lines")
        lines_layout = QVBoxLayout(self.lines_box)
        scan_row = QHBoxLayout()
        scan_label = QLabel("&Scan SKU:")
        scan_label.setBuddy(self.scan)
        qty_label = QLabel("&Quantity:")
        qty_label.setBuddy(self.scan_quantity)
        scan_row.addWidget(scan_label)
        scan_row.addWidget(self.scan, 1)
        scan_row.addWidget(qty_label)
        scan_row.addWidget(self.scan_quantity)
        lines_layout.addLayout(scan_row)
        lines_layout.addWidget(self.lines_table, 1)
        receive_row = QHBoxLayout()
        receive_row.addStretch(1)
        receive_row.addWidget(self.all_button)
        receive_row.addWidget(self.receive_button)
        lines_layout.addLayout(receive_row)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(list_box)
        splitter.addWidget(self.lines_box)
        splitter.setSizes([220, 300])
        bottom = QHBoxLayout()
        bottom.addWidget(self.result, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        for first, second in itertools.pairwise(
            [
                self.po_table,
                self.show_received,
                self.new_button,
                self.refresh_button,
                self.scan,
                self.scan_quantity,
                self.lines_table,
                self.all_button,
                self.receive_button,
                self.close_button,
            ]
        ):
            QWidget.setTabOrder(first, second)

        self.po_table.itemSelectionChanged.connect(self._po_selected)
        self.show_received.toggled.connect(lambda _on: self.reload())
        self.new_button.clicked.connect(self.new_po)
        self.refresh_button.clicked.connect(self.reload)
        self.lines_table.itemChanged.connect(self._receive_now_edited)
        self.scan.returnPressed.connect(self.scan_sku)
        self.scan_quantity.returnPressed.connect(self.scan_sku)
        self.all_button.clicked.connect(self.fill_outstanding)
        self.receive_button.clicked.connect(self.receive)
        self.close_button.clicked.connect(self.close)
        self.resize(760, 640)
        self._show_lines()
        self.reload()

    # -- the list ----------------------------------------------------------------------------
    def reload(self, select: int | None = None) -> None:
        """Read the list again; keep (or move to ``select``) the selected PO."""
        keep = select if select is not None else (self.current.number if self.current else None)
        open_only = not self.show_received.isChecked()

        def work() -> list[PoSummary]:
            with self.store.read() as session:
                return purchasing.list_pos(session, open_only=open_only)

        self.run(work, lambda found: self._loaded(found, keep), "Cannot read the purchase orders")

    def _loaded(self, found: list[PoSummary], keep: int | None) -> None:
        self.purchase_orders = found
        self.po_table.blockSignals(True)
        try:
            self.po_table.clearSelection()
            self.po_table.setRowCount(len(found))
            for row, po in enumerate(found):
                values = (
                    str(po.number),
                    po.supplier,
                    po.status,
                    str(sum(line.ordered for line in po.lines)),
                    str(po.outstanding),
                    local_time(po.created_at).strftime("%Y-%m-%d"),
                )
                for column, text in enumerate(values):
                    item = QTableWidgetItem(text)
                    if column in (0, 3, 4):
                        item.setTextAlignment(
                            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                        )
                    self.po_table.setItem(row, column, item)
            self.po_table.resizeColumnsToContents()
        finally:
            self.po_table.blockSignals(False)
        rows = [row for row, po in enumerate(found) if po.number == keep]
        if not rows and found and keep is None:
            rows = [0]
        if rows:
            self.po_table.selectRow(rows[0])
        else:
            self._set_current(None)
        self.loaded.emit()

    def select_po(self, number: int) -> None:
        for row, po in enumerate(self.purchase_orders):
            if po.number == number:
                self.po_table.selectRow(row)
                return

    def _po_selected(self) -> None:
        rows = self.po_table.selectionModel().selectedRows()
        po = (
            self.purchase_orders[rows[0].row()]
            if rows and rows[0].row() < len(self.purchase_orders)
            else None
        )
        self._set_current(po)

    def _set_current(self, po: PoSummary | None) -> None:
        same = po is not None and self.current is not None and po.number == self.current.number
        self.current = po
        if not same:
            self.receive_now = {}
            self.message.clear()
        if po is not None:
            self.receive_now = {line.sku: self.receive_now.get(line.sku, 0) for line in po.lines}
        self._show_lines()

    # -- the lines ---------------------------------------------------------------------------
    def _show_lines(self) -> None:
        po = self.current
        self.lines_box.setTitle(
            f"Lines of PO {po.number} ({po.supplier}, {po.status})" if po else "Lines"
        )
        lines = po.lines if po else ()
        self.lines_table.blockSignals(True)
        try:
            self.lines_table.setRowCount(len(lines))
            for row, line in enumerate(lines):
                now = self.receive_now.get(line.sku, 0)
                values = (line.sku, line.ordered, line.received, line.outstanding, now)
                for column, value in enumerate(values):
                    over = column == RECEIVE_NOW and now > line.outstanding
                    set_cell(
                        self.lines_table,
                        row,
                        column,
                        str(value),
                        number=column > 0,
                        editable=column == RECEIVE_NOW,
                        warning=f"only {line.outstanding} outstanding" if over else "",
                    )
        finally:
            self.lines_table.blockSignals(False)
        has_po = po is not None
        for widget in (self.scan, self.scan_quantity, self.lines_table):
            widget.setEnabled(has_po)
        self.all_button.setEnabled(has_po and bool(po and po.outstanding) and not self._receiving)
        self.receive_button.setEnabled(
            has_po and any(self.receive_now.values()) and not self._receiving
        )
        self.setWindowModified(any(self.receive_now.values()))

    def _receive_now_edited(self, item: QTableWidgetItem) -> None:
        if self.current is None or item.column() != RECEIVE_NOW:
            return
        line = self.current.lines[item.row()]
        try:
            quantity = parse_quantity(item.text() or "0", f"Receive Now of {line.sku}")
        except SeomError as exc:
            self.message.setText(sentence(exc))
        else:
            self.receive_now[line.sku] = quantity
            self._check_over()
        self._show_lines()

    def _check_over(self) -> None:
        """Say so in place when a Receive Now is more than outstanding (the store refuses)."""
        over = [
            f"{line.sku}: {self.receive_now.get(line.sku, 0)} to receive, only "
            f"{line.outstanding} outstanding"
            for line in (self.current.lines if self.current else ())
            if self.receive_now.get(line.sku, 0) > line.outstanding
        ]
        self.message.setText("; ".join(over))

    def set_receive_now(self, sku: str, quantity: int) -> None:
        """As if the clerk typed ``quantity`` in the SKU's Receive Now cell."""
        if self.current is None:
            return
        for row, line in enumerate(self.current.lines):
            if line.sku == sku:
                item = self.lines_table.item(row, RECEIVE_NOW)
                assert item is not None
                item.setText(str(quantity))
                return
        raise KeyError(sku)

    def scan_sku(self) -> None:
        po = self.current
        text = self.scan.text().strip()
        if po is None or not text:
            return
        self.scan_quantity.setStyleSheet("")
        try:
            quantity = parse_quantity(self.scan_quantity.text() or "1", "the quantity")
        except SeomError as exc:
            self.scan_quantity.setStyleSheet(INVALID)
            self.message.setText(sentence(exc))
            return
        line = next((x for x in po.lines if x.sku == text), None) or next(
            (x for x in po.lines if x.sku.lower() == text.lower()), None
        )
        if line is None:
            self.message.setText(f"{text} is not on purchase order {po.number}.")
            self.scan.selectAll()
            return
        self.receive_now[line.sku] = self.receive_now.get(line.sku, 0) + quantity
        self._check_over()
        self.scan.clear()
        self.scan_quantity.setText("1")
        self.scan.setFocus()
        self._show_lines()

    def fill_outstanding(self) -> None:
        if self.current is None:
            return
        self.receive_now = {line.sku: line.outstanding for line in self.current.lines}
        self.message.clear()
        self._show_lines()
        self.receive_button.setFocus()

    # -- receiving ---------------------------------------------------------------------------
    def receive(self) -> None:
        po = self.current
        if po is None or self._receiving:
            return
        lines = [Line(sku, n) for sku, n in self.receive_now.items() if n > 0]
        if not lines:
            self.message.setText(
                "Type the quantities received in Receive Now (or Receive All Outstanding)."
            )
            return
        number = po.number

        def work() -> Received:
            with self.store.write() as session:
                changes = purchasing.receive_po(session, number, lines, self.workstation)
                return Received(changes, purchasing.get_po(session, number))

        self._receiving = True
        self._show_lines()
        self.run(work, self._received, "Cannot receive the purchase order", on_error=self._failed)

    def _failed(self, message: str) -> None:
        self._receiving = False
        self.message.setText("Nothing was received: " + message.splitlines()[0])
        self._show_lines()

    def _received(self, done: Received) -> None:
        self._receiving = False
        units = sum(c.delta for c in done.changes)
        self.last_result = (
            f"Received {plural(units, 'unit')} on PO {done.po.number} ({done.po.supplier}): "
            f"{changes_text(done.changes)}; "
            f"{plural(stack_rows_written(done.changes), 'change')} queued for the carts. "
            f"PO {done.po.number} is {done.po.status}."
        )
        self.result.setText(self.last_result)
        self.message.clear()
        self.receive_now = {}
        self.current = done.po
        self._show_lines()
        self.reload(select=done.po.number)
        self.received.emit(done)

    # -- a new PO ----------------------------------------------------------------------------
    def new_po(self) -> NewPoDialog:
        dialog = NewPoDialog(self)
        dialog.submitted.connect(lambda: self._create(dialog))
        self.new_po_dialog = dialog
        dialog.open()
        dialog.supplier.setFocus()
        return dialog

    def _create(self, dialog: NewPoDialog) -> None:
        supplier = dialog.supplier.text().strip()
        lines = dialog.entry.lines()

        def work() -> int:
            with self.store.write() as session:
                return purchasing.create_po(session, supplier, lines, self.workstation)

        self.run(
            work,
            lambda number: self._created(dialog, number, supplier, lines),
            "Cannot create the purchase order",
            on_error=dialog.failed,
        )

    def _created(self, dialog: NewPoDialog, number: int, supplier: str, lines: list[Line]) -> None:
        dialog.accept()
        self.last_result = (
            f"Purchase order {number} created for {supplier}: "
            f"{plural(sum(line.quantity for line in lines), 'unit')} ordered."
        )
        self.result.setText(self.last_result)
        self.reload(select=number)
        self.created.emit(number)
