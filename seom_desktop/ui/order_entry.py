"""Order Entry: a phone or counter order, and the recent orders (with [Cancel Order]).

The **Channel** is the cart the order came through (blank: none; that cart is not told of the
order, it made the sale itself). Lines are added by scanning or typing a SKU (and a quantity,
1 unless typed) and pressing Enter; focus goes back to the SKU field for the next scan. The
table shows each line's item name and QOH; its quantity can be edited in place, and
[Remove Line] (or Delete) drops a line. [Save Order] stores the order through
:func:`seom_desktop.inventory.orders.add_order`, which lowers QOH and queues the change for
the carts. [Cancel Order] on a recent order puts its stock back.

:class:`LineEntry`, the SKU/quantity fields over the lines table, is shared with POS and the
New PO dialog of Receive PO.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.errors import InputError, SeomError
from seom_desktop.inventory import orders, products
from seom_desktop.inventory.lines import Line, lines_text, parse_line
from seom_desktop.inventory.products import ProductInfo
from seom_desktop.inventory.quantities import parse_quantity
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import OrderStatus, local_time
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen, message_label, result_label

INVALID = "background: #ffe0e0;"
SHORT = QColor("#b00020")


def sentence(exc: Exception | str) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def set_cell(
    table: QTableWidget,
    row: int,
    column: int,
    text: str,
    *,
    number: bool = False,
    editable: bool = False,
    warning: str = "",
) -> None:
    """Fill a cell in place. The item is reused, never replaced, so no item is deleted while
    its own itemChanged signal is being delivered (the edit handlers refresh the table)."""
    item = table.item(row, column)
    if item is None:
        item = QTableWidgetItem()
        table.setItem(row, column, item)
    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
    if editable:
        flags |= Qt.ItemFlag.ItemIsEditable
    item.setFlags(flags)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setText(text)
    if warning:
        item.setForeground(QBrush(SHORT))
    else:
        item.setData(Qt.ItemDataRole.ForegroundRole, None)
    item.setToolTip(warning)


def lookup(store: Store, sku: str) -> ProductInfo | str:
    """Runs on a worker: the product, or the sentence saying why there is none."""
    try:
        with store.read() as session:
            return products.product_info(session, sku)
    except SeomError as exc:
        return sentence(exc)


@dataclass(eq=False)
class EntryLine:
    """A line of the table. ``qoh`` is None while its SKU is being looked up."""

    sku: str
    quantity: int
    name: str = "looking up..."
    qoh: int | None = None
    is_kit: bool = False


class LineEntry(QWidget):
    """SKU and quantity fields over a table of lines (SKU, Item name, QOH, Quantity).

    Enter in either field adds the line: the SKU is looked up off the GUI thread (the row
    shows at once and fills in), the quantity goes back to 1 and focus to the SKU field, so a
    barcode scanner can scan item after item. The same SKU twice is one line. An unknown SKU
    is not added; :attr:`problem` says why and the SKU goes back in the field."""

    changed = Signal()
    """The lines changed (added, looked up, removed, quantity edited)."""
    problem = Signal(str)
    """A sentence for the clerk ("" clears it)."""
    looked_up = Signal(str)
    """A SKU's lookup finished (found or not)."""

    COLUMNS = ("SKU", "Item name", "QOH", "Quantity")

    def __init__(self, screen: Screen, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.owner = screen
        self.entries: list[EntryLine] = []
        self._pending = 0

        self.sku = QLineEdit()
        self.sku.setObjectName("sku")
        self.sku.setPlaceholderText("scan or type a SKU and press Enter")
        self.quantity = QLineEdit("1")
        self.quantity.setObjectName("quantity")
        self.quantity.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.quantity.setMaximumWidth(80)
        self.add_button = QPushButton("A&dd Line")
        self.remove_button = QPushButton("Re&move Line")
        for button in (self.add_button, self.remove_button):
            button.setAutoDefault(False)  # Enter in a field adds a line, even in a dialog
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("lines")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        sku_label = QLabel("S&KU:")
        sku_label.setBuddy(self.sku)
        qty_label = QLabel("&Quantity:")
        qty_label.setBuddy(self.quantity)
        row = QHBoxLayout()
        row.addWidget(sku_label)
        row.addWidget(self.sku, 1)
        row.addWidget(qty_label)
        row.addWidget(self.quantity)
        row.addWidget(self.add_button)
        under = QHBoxLayout()
        under.addStretch(1)
        under.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addLayout(under)
        for first, second in itertools.pairwise(
            [self.sku, self.quantity, self.add_button, self.table, self.remove_button]
        ):
            QWidget.setTabOrder(first, second)

        self.sku.returnPressed.connect(self.add)
        self.quantity.returnPressed.connect(self.add)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_selected)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.table, self.remove_selected)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.itemChanged.connect(self._quantity_edited)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- what the screens read -------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Some SKU is still being looked up."""
        return self._pending > 0

    def lines(self) -> list[Line]:
        return [Line(e.sku, e.quantity) for e in self.entries if e.qoh is not None]

    def units(self) -> int:
        return sum(e.quantity for e in self.entries)

    def clear(self) -> None:
        self.entries = []
        self._show()

    # -- adding ----------------------------------------------------------------------------
    def add(self) -> None:
        text = self.sku.text().strip()
        self.quantity.setStyleSheet("")
        if not text:
            self.problem.emit("Scan or type a SKU, then press Enter.")
            self.sku.setFocus()
            return
        try:
            line = parse_line(f"{text}:{self.quantity.text().strip() or '1'}")
        except SeomError as exc:
            self.quantity.setStyleSheet(INVALID)
            self.quantity.setFocus()
            self.quantity.selectAll()
            self.problem.emit(sentence(exc))
            return
        self.problem.emit("")
        entry = EntryLine(line.sku, line.quantity)
        self.entries.append(entry)
        self._pending += 1
        self._show()
        self.sku.clear()
        self.quantity.setText("1")
        self.sku.setFocus()
        self.owner.run(
            lambda: lookup(self.owner.store, line.sku),
            lambda found: self._found(entry, found),
            "Cannot look up the SKU",
            on_error=lambda _message: self._lookup_failed(entry),
        )

    def _lookup_failed(self, entry: EntryLine) -> None:
        self._pending -= 1
        self._drop(entry)
        self.looked_up.emit(entry.sku)

    def _drop(self, entry: EntryLine) -> None:
        if entry in self.entries:
            self.entries.remove(entry)
        self._show()

    def _found(self, entry: EntryLine, found: ProductInfo | str) -> None:
        self._pending -= 1
        if isinstance(found, str):
            self._drop(entry)
            self.problem.emit(f"{found} - the line was not added.")
            if not self.sku.text():  # give the clerk back what they scanned to correct it
                self.sku.setText(entry.sku)
                self.sku.selectAll()
            self.looked_up.emit(entry.sku)
            return
        same = next(
            (
                e
                for e in self.entries
                if e is not entry and e.qoh is not None and e.sku == found.sku
            ),
            None,
        )
        if same is not None:
            same.quantity += entry.quantity
            self.entries.remove(entry)
        else:
            entry.sku, entry.name, entry.qoh, entry.is_kit = (
                found.sku,
                found.name,
                found.qoh,
                found.is_kit,
            )
        self._show()
        self.looked_up.emit(found.sku)

    # -- the table -------------------------------------------------------------------------
    def _show(self) -> None:
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(self.entries))
            for row, entry in enumerate(self.entries):
                qoh = (
                    "" if entry.qoh is None else str(entry.qoh) + (" (kit)" if entry.is_kit else "")
                )
                short = entry.qoh is not None and entry.quantity > entry.qoh
                set_cell(self.table, row, 0, entry.sku)
                set_cell(self.table, row, 1, entry.name)
                set_cell(
                    self.table,
                    row,
                    2,
                    qoh,
                    number=True,
                    warning="More than the quantity on hand" if short else "",
                )
                set_cell(self.table, row, 3, str(entry.quantity), number=True, editable=True)
        finally:
            self.table.blockSignals(False)
        if self.entries:
            self.table.scrollToBottom()
        self._update_buttons()
        self.changed.emit()

    def _quantity_edited(self, item: QTableWidgetItem) -> None:
        row = item.row()
        if item.column() != 3 or not 0 <= row < len(self.entries):
            return
        entry = self.entries[row]
        try:
            quantity = parse_quantity(item.text(), f"the quantity of {entry.sku}")
            if quantity == 0:
                raise InputError(f"the quantity of {entry.sku} must be at least 1")
        except SeomError as exc:
            self.problem.emit(sentence(exc) + "; the line keeps its quantity.")
        else:
            entry.quantity = quantity
            self.problem.emit("")
        self._show()

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def remove_selected(self) -> None:
        row = self.selected_row()
        if row is None or not 0 <= row < len(self.entries):
            return
        del self.entries[row]
        self._show()
        if self.entries:
            self.table.selectRow(min(row, len(self.entries) - 1))
        else:
            self.sku.setFocus()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.selected_row() is not None)


@dataclass(frozen=True)
class EntryData:
    """What the screen reads when it opens: the channels and the recent orders."""

    carts: list[str]
    recent: list[orders.OrderSummary]


def read_entry_data(store: Store, limit: int = 100) -> EntryData:
    with store.read() as session:
        return EntryData(
            [c.name for c in cart_records.list_carts(session) if c.active],
            orders.recent_orders(session, limit),
        )


class OrderEntry(Screen):
    title = "Order Entry"
    saved = Signal(object)
    """The PlacedOrder, after a save committed."""
    cancelled = Signal(object)
    """The CancelledOrder, after a cancel committed."""
    recent_loaded = Signal()

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.recent: list[orders.OrderSummary] = []
        self.last_result = ""
        self._saving = False

        self.channel = QComboBox()
        self.channel.setObjectName("channel")
        self.channel.addItem("")
        self.channel.setToolTip(
            "The cart the order came through (blank: none). That cart is not told of the "
            "order; every other synchronized cart is."
        )
        self.entry = LineEntry(self)
        self.message = message_label()
        self.result = result_label()
        self.units_label = QLabel()
        self.save_button = QPushButton("&Save Order")
        self.save_button.setObjectName("save")
        self.clear_button = QPushButton("C&lear")

        self.recent_table = QTableWidget(0, 7)
        self.recent_table.setObjectName("recent")
        self.recent_table.setHorizontalHeaderLabels(
            ["Order", "Kind", "Channel", "Cart order", "Status", "Placed", "Lines"]
        )
        self.recent_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.recent_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.recent_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.recent_table.verticalHeader().setVisible(False)
        self.recent_table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.cancel_button = QPushButton("Cancel &Order...")
        self.cancel_button.setObjectName("cancel_order")
        self.refresh_button = QPushButton("&Refresh")
        self.close_button = QPushButton("&Close")

        form = QFormLayout()
        form.addRow("C&hannel:", self.channel)
        label = form.labelForField(self.channel)
        if isinstance(label, QLabel):
            label.setBuddy(self.channel)
        new_box = QGroupBox("New order")
        new_layout = QVBoxLayout(new_box)
        new_layout.addLayout(form)
        new_layout.addWidget(self.entry, 1)
        new_layout.addWidget(self.message)
        save_row = QHBoxLayout()
        save_row.addWidget(self.units_label)
        save_row.addStretch(1)
        save_row.addWidget(self.clear_button)
        save_row.addWidget(self.save_button)
        new_layout.addLayout(save_row)
        recent_box = QGroupBox("Recent orders")
        recent_layout = QVBoxLayout(recent_box)
        recent_layout.addWidget(self.recent_table, 1)
        recent_buttons = QHBoxLayout()
        recent_buttons.addWidget(self.cancel_button)
        recent_buttons.addWidget(self.refresh_button)
        recent_buttons.addStretch(1)
        recent_layout.addLayout(recent_buttons)
        bottom = QHBoxLayout()
        bottom.addWidget(self.result, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(new_box, 3)
        layout.addWidget(recent_box, 2)
        layout.addLayout(bottom)

        for first, second in itertools.pairwise(
            [
                self.channel,
                self.entry.sku,
                self.entry.quantity,
                self.entry.add_button,
                self.entry.table,
                self.entry.remove_button,
                self.clear_button,
                self.save_button,
                self.recent_table,
                self.cancel_button,
                self.refresh_button,
                self.close_button,
            ]
        ):
            QWidget.setTabOrder(first, second)

        self.entry.problem.connect(self.message.setText)
        self.entry.changed.connect(self._update)
        self.save_button.clicked.connect(self.save)
        self.clear_button.clicked.connect(self.clear)
        self.cancel_button.clicked.connect(self.cancel_order)
        self.refresh_button.clicked.connect(self.reload)
        self.close_button.clicked.connect(self.close)
        self.recent_table.itemSelectionChanged.connect(self._update)
        self.resize(820, 680)
        self._update()
        self.reload()
        self.entry.sku.setFocus()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        self.run(lambda: read_entry_data(self.store), self._loaded, "Cannot read the orders")

    def _loaded(self, data: EntryData) -> None:
        current = self.channel.currentText()
        self.channel.clear()
        self.channel.addItem("")
        self.channel.addItems(data.carts)
        if current in data.carts:
            self.channel.setCurrentText(current)
        selected = self.selected_order()
        self.recent = data.recent
        self.recent_table.setRowCount(len(self.recent))
        for row, order in enumerate(self.recent):
            values = (
                str(order.number),
                order.kind,
                order.cart,
                order.cart_order_number or "",
                order.status,
                local_time(order.created_at).strftime("%Y-%m-%d %H:%M"),
                lines_text(order.lines),
            )
            for column, text in enumerate(values):
                self.recent_table.setItem(row, column, QTableWidgetItem(text))
        self.recent_table.resizeColumnsToContents()
        if selected is not None:
            self.select_order(selected.number)
        self._update()
        self.recent_loaded.emit()

    def select_order(self, number: int) -> None:
        for row, order in enumerate(self.recent):
            if order.number == number:
                self.recent_table.selectRow(row)
                return

    def selected_order(self) -> orders.OrderSummary | None:
        rows = self.recent_table.selectionModel().selectedRows()
        return self.recent[rows[0].row()] if rows and rows[0].row() < len(self.recent) else None

    def _update(self) -> None:
        lines = self.entry.entries
        self.units_label.setText(
            f"{plural(len(lines), 'line')}, {plural(self.entry.units(), 'unit')}" if lines else ""
        )
        self.save_button.setEnabled(bool(lines) and not self._saving)
        order = self.selected_order()
        self.cancel_button.setEnabled(order is not None and order.status == OrderStatus.OPEN)
        self.setWindowModified(bool(lines))

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        if self._saving:
            return
        if self.entry.pending:
            self.message.setText("A SKU is still being looked up; save again in a moment.")
            return
        lines = self.entry.lines()
        if not lines:
            self.message.setText("Scan or type the SKU of each item first.")
            self.entry.sku.setFocus()
            return
        cart = self.channel.currentText() or None

        def work() -> orders.PlacedOrder:
            with self.store.write() as session:
                return orders.add_order(session, lines, self.workstation, cart_name=cart)

        self._saving = True
        self._update()
        self.message.clear()
        self.run(work, self._saved, "Cannot save the order", on_error=self._save_failed)

    def _save_failed(self, message: str) -> None:
        self._saving = False
        self.message.setText("The order was not saved: " + message.splitlines()[0])
        self._update()

    def _saved(self, placed: orders.PlacedOrder) -> None:
        self._saving = False
        via = f" ({placed.cart})" if placed.cart else ""
        self.last_result = (
            f"Order {placed.number}{via} saved; "
            f"{plural(placed.queued_rows, 'change')} queued for the carts"
        )
        self.result.setText(self.last_result + ".")
        self.entry.clear()
        self.entry.sku.setFocus()
        self._update()
        self.reload()
        self.saved.emit(placed)

    def clear(self) -> None:
        if self.entry.entries and not dialogs.confirm(
            self, "Clear the order", "Clear the lines of this order (it was not saved)?"
        ):
            return
        self.entry.clear()
        self.message.clear()
        self.entry.sku.setFocus()

    # -- cancelling --------------------------------------------------------------------------
    def cancel_order(self) -> None:
        order = self.selected_order()
        if order is None or order.status != OrderStatus.OPEN:
            return
        if not dialogs.confirm(
            self,
            f"Cancel order {order.number}",
            f"Cancel order {order.number} ({lines_text(order.lines)})? Its stock goes "
            "back on hand and the synchronized carts are told.",
        ):
            return
        number = order.number

        def work() -> orders.CancelledOrder:
            with self.store.write() as session:
                return orders.cancel_order(session, number, self.workstation)

        self.cancel_button.setEnabled(False)
        self.run(work, self._cancelled, "Cannot cancel the order", on_error=self._cancel_failed)

    def _cancel_failed(self, message: str) -> None:
        self.message.setText(message.splitlines()[0])
        self.reload()

    def _cancelled(self, cancelled: orders.CancelledOrder) -> None:
        self.last_result = (
            f"Order {cancelled.number} cancelled; its stock is back "
            f"({plural(cancelled.queued_rows, 'change')} queued for the carts)"
        )
        self.result.setText(self.last_result + ".")
        self.reload()
        self.cancelled.emit(cancelled)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.entry.entries and not dialogs.confirm(
            self, "Unsaved order", "The order was not saved. Close and lose it?"
        ):
            event.ignore()
            return
        event.accept()
