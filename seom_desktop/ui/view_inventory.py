"""View Inventory: the searchable product list and, for the selected product, the tabs
Product Info, Web Fields (per cart: the cart's SKU for the product and whether its QOH is
synchronized with that cart) and History (the ledger, with a small chart of QOH over time;
its Document column is the order, sale or purchase order number).

The list is a real Qt model read in keyset pages off the GUI thread (fast with 100,000
products); the tabs are read off the GUI thread too. [Adjust QOH] opens Adjust Inventory.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from seom_desktop.inventory import history, products
from seom_desktop.inventory.changes import Source
from seom_desktop.inventory.history import LedgerLine
from seom_desktop.inventory.products import ProductInfo, WebFieldInfo
from seom_desktop.store import Store
from seom_desktop.store.models import local_time
from seom_desktop.ui.adjust_inventory import AdjustInventory
from seom_desktop.ui.base import Screen
from seom_desktop.ui.charts import MiniChart
from seom_desktop.ui.models import ProductModel


@dataclass(frozen=True)
class ProductDetails:
    info: ProductInfo
    web_fields: list[WebFieldInfo]
    history: list[LedgerLine]


def read_details(store: Store, sku: str) -> ProductDetails:
    with store.read() as session:
        return ProductDetails(
            products.product_info(session, sku),
            products.web_fields(session, sku),
            history.ledger_history(session, sku),
        )


ORDER_SOURCES = frozenset(
    {Source.POS_SALE, Source.MANUAL_ORDER, Source.IMPORTED_ORDER, Source.ORDER_CANCELLED}
)


def document_label(line: LedgerLine) -> str:
    """The ledger row's document as the clerk knows it: "PO 7", "Order 12" (a sale too)."""
    if not line.document:
        return ""
    if line.source == Source.PO_RECEIPT:
        return f"PO {line.document}"
    if line.source in ORDER_SOURCES:
        return f"Order {line.document}"
    return line.document


class ViewInventory(Screen):
    title = "View Inventory"
    details_shown = Signal(str)
    """The SKU whose tabs were just filled."""

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.details: ProductDetails | None = None
        self.adjust_windows: list[AdjustInventory] = []

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Local SKU or Item Name (part of it)")
        self.search.setClearButtonEnabled(True)
        search_label = QLabel("&Find:")
        search_label.setBuddy(self.search)
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.model = ProductModel(store, self)
        self.view = QTableView()
        self.view.setObjectName("products")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.view.setColumnWidth(0, 140)

        # -- tabs ------------------------------------------------------------------------
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        info = QWidget()
        info_form = QFormLayout(info)
        self.sku_label = QLabel()
        self.sku_label.setObjectName("info_sku")
        self.name_label = QLabel()
        self.qoh_label = QLabel()
        self.qoh_label.setObjectName("info_qoh")
        self.kit_label = QLabel()
        for text, label in (
            ("Local SKU:", self.sku_label),
            ("Item Name:", self.name_label),
            ("Quantity on hand:", self.qoh_label),
            ("Kit:", self.kit_label),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            info_form.addRow(text, label)
        self.web_table = QTableWidget(0, 4)
        self.web_table.setObjectName("web_fields")
        self.web_table.setHorizontalHeaderLabels(
            ["Cart", "Cart type", "Cart SKU", "Synchronize QOH"]
        )
        self.web_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.web_table.verticalHeader().setVisible(False)
        web_header = self.web_table.horizontalHeader()
        web_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            web_header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        history_tab = QWidget()
        self.chart = MiniChart("QOH over time")
        self.chart.setObjectName("qoh_chart")
        self.history_table = QTableWidget(0, 8)
        self.history_table.setObjectName("history")
        self.history_table.setHorizontalHeaderLabels(
            ["When", "Source", "Reason", "Before", "Change", "After", "Workstation", "Document"]
        )
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.Stretch
        )
        history_layout = QVBoxLayout(history_tab)
        history_layout.addWidget(self.chart)
        history_layout.addWidget(self.history_table, 1)
        self.tabs.addTab(info, "&Product Info")
        self.tabs.addTab(self.web_table, "&Web Fields")
        self.tabs.addTab(history_tab, "&History")

        self.adjust_button = QPushButton("&Adjust QOH...")
        self.adjust_button.setEnabled(False)
        self.refresh_button = QPushButton("&Refresh")
        self.close_button = QPushButton("&Close")

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.tabs)
        splitter.setSizes([300, 260])
        buttons = QHBoxLayout()
        buttons.addWidget(self.adjust_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        order = [
            self.search,
            self.view,
            self.tabs,
            self.adjust_button,
            self.refresh_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.apply_search)
        self.model.loaded.connect(self._loaded)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.adjust_button.clicked.connect(self.adjust)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.close)
        self.resize(820, 640)
        self.model.reload()

    # -- the list ----------------------------------------------------------------------------
    def apply_search(self) -> None:
        self._debounce.stop()
        if self.search.text().strip() != self.model.search:
            self.model.set_search(self.search.text())

    def refresh(self) -> None:
        sku = self.current_sku()
        self.model.reload()
        if sku:
            self.show_details(sku)

    def _loaded(self) -> None:
        total = self.model.total
        shown = len(self.model.rows)
        self.count_label.setText(
            f"{total:,} products" if total is not None else f"{shown:,} products so far"
        )
        if shown and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)

    def current_sku(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.product(rows[0].row()).sku if rows else None

    def select_sku(self, sku: str) -> None:
        for row, product in enumerate(self.model.rows):
            if product.sku == sku:
                self.view.selectRow(row)
                return

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        sku = self.current_sku()
        self.adjust_button.setEnabled(sku is not None)
        if sku is not None:
            self.show_details(sku)

    # -- the tabs ----------------------------------------------------------------------------
    def show_details(self, sku: str) -> None:
        self.run(lambda: read_details(self.store, sku), self._fill, "Cannot show the product")

    def _fill(self, details: ProductDetails) -> None:
        if details.info.sku != self.current_sku():
            return  # the clerk moved on meanwhile
        self.details = details
        info = details.info
        self.sku_label.setText(info.sku)
        self.name_label.setText(info.name)
        self.qoh_label.setText(str(info.qoh))
        self.kit_label.setText("yes" if info.is_kit else "no")
        self.web_table.setRowCount(len(details.web_fields))
        for row, wf in enumerate(details.web_fields):
            web_values = (
                wf.cart,
                wf.platform,
                wf.cart_sku + ("" if wf.explicit else " (same SKU)"),
                "yes" if wf.sync_qoh else "no",
            )
            for col, text in enumerate(web_values):
                self.web_table.setItem(row, col, QTableWidgetItem(text))
        self.history_table.setRowCount(len(details.history))
        for row, line in enumerate(reversed(details.history)):
            reason = line.reason or ""
            if line.origin_cart:
                reason = f"{reason} (from {line.origin_cart})".strip()
            values = (
                local_time(line.created_at).strftime("%Y-%m-%d %H:%M"),
                line.source,
                reason,
                str(line.qoh_before),
                f"{line.delta:+d}",
                str(line.qoh_after),
                line.workstation,
                document_label(line),
            )
            for col, text in enumerate(values):
                self.history_table.setItem(row, col, QTableWidgetItem(text))
        self.history_table.resizeColumnsToContents()
        points = [details.history[0].qoh_before] if details.history else []
        points += [line.qoh_after for line in details.history]
        self.chart.set_series("QOH", points)
        self.details_shown.emit(info.sku)

    def adjust(self) -> None:
        sku = self.current_sku()
        if sku is None:
            return
        window = AdjustInventory(self.store, self.workstation, sku)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.saved.connect(lambda _applied: self.refresh())
        self.adjust_windows = [w for w in self.adjust_windows if isValid(w)] + [window]
        window.show()
