"""POS: ring up a counter sale by scanning.

Scan (or type) a SKU and press Enter: the item joins the sale with quantity 1 (type another
quantity first to change it); scanning it again adds one more. An unknown SKU is refused with
a message and the sale stays as it was. [Complete Sale] (Ctrl+Enter) stores the sale through
:func:`seom_desktop.inventory.orders.pos_sale`, which lowers QOH and queues the change for
every synchronized cart, shows "Sale N" and starts the next sale.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from seom_desktop.inventory import orders
from seom_desktop.store import Store
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen, message_label, result_label
from seom_desktop.ui.order_entry import LineEntry, plural


class Pos(Screen):
    title = "POS"
    completed = Signal(object)
    """The PlacedOrder, after a sale committed."""

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.last_result = ""
        self._completing = False

        self.entry = LineEntry(self)
        self.total = QLabel()
        self.total.setObjectName("total")
        font = QFont(self.total.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.total.setFont(font)
        self.message = message_label()
        self.result = result_label()
        self.complete_button = QPushButton("Complete &Sale")
        self.complete_button.setObjectName("complete")
        self.complete_button.setMinimumHeight(40)
        self.complete_button.setToolTip("Ctrl+Enter")
        self.void_button = QPushButton("&Void Sale")
        self.close_button = QPushButton("&Close")

        totals = QHBoxLayout()
        totals.addWidget(self.total, 1)
        totals.addWidget(self.void_button)
        totals.addWidget(self.complete_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.result, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.entry, 1)
        layout.addWidget(self.message)
        layout.addLayout(totals)
        layout.addLayout(bottom)
        for first, second in itertools.pairwise(
            [
                self.entry.sku,
                self.entry.quantity,
                self.entry.add_button,
                self.entry.table,
                self.entry.remove_button,
                self.void_button,
                self.complete_button,
                self.close_button,
            ]
        ):
            QWidget.setTabOrder(first, second)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.complete)
        self.entry.problem.connect(self.message.setText)
        self.entry.changed.connect(self._update)
        self.complete_button.clicked.connect(self.complete)
        self.void_button.clicked.connect(self.void)
        self.close_button.clicked.connect(self.close)
        self.resize(640, 520)
        self._update()
        self.entry.sku.setFocus()

    def _update(self) -> None:
        lines = self.entry.entries
        self.total.setText(
            f"{plural(len(lines), 'item')}, {plural(self.entry.units(), 'unit')}"
            if lines
            else "No items yet"
        )
        self.complete_button.setEnabled(bool(lines) and not self._completing)
        self.void_button.setEnabled(bool(lines) and not self._completing)
        self.setWindowModified(bool(lines))

    def complete(self) -> None:
        if self._completing:
            return
        if self.entry.pending:
            self.message.setText("An item is still being looked up; complete the sale again.")
            return
        lines = self.entry.lines()
        if not lines:
            self.message.setText("Scan the items of the sale first.")
            self.entry.sku.setFocus()
            return

        def work() -> orders.PlacedOrder:
            with self.store.write() as session:
                return orders.pos_sale(session, lines, self.workstation)

        self._completing = True
        self._update()
        self.message.clear()
        self.run(work, self._completed, "Cannot complete the sale", on_error=self._failed)

    def _failed(self, message: str) -> None:
        self._completing = False
        self.message.setText("The sale was not completed: " + message.splitlines()[0])
        self._update()

    def _completed(self, placed: orders.PlacedOrder) -> None:
        self._completing = False
        self.last_result = (
            f"Sale {placed.number}: {plural(self.entry.units(), 'unit')}; "
            f"{plural(placed.queued_rows, 'change')} queued for the carts"
        )
        self.result.setText(self.last_result + ".")
        self.entry.clear()
        self.entry.sku.setFocus()
        self._update()
        self.completed.emit(placed)

    def void(self) -> None:
        if not self.entry.entries:
            return
        if dialogs.confirm(self, "Void the sale", "Remove every item of this sale?"):
            self.entry.clear()
            self.message.clear()
            self.entry.sku.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.entry.entries and not dialogs.confirm(
            self, "Sale not completed", "The sale was not completed. Close and lose it?"
        ):
            event.ignore()
            return
        event.accept()
