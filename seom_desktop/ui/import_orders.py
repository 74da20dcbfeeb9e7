"""Import Orders: download the new orders of one cart, or of every cart that can list them.

Each cart's new orders are fetched (Order Download Batch at a time) and stored through
:func:`seom_desktop.inventory.orders.import_orders` on a worker thread; a busy bar and a
running count show that it is working, and the window stays responsive (the cart may be slow
or not answer). Each imported order lowers QOH and is sent to every other synchronized cart.
At the end the summary of every cart is shown, with its warnings (a SKU the store does not
have, a line without a quantity) and the carts that could not be reached.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from seom_desktop.carts.platforms import platform
from seom_desktop.carts.registry import has_connector
from seom_desktop.errors import SeomError
from seom_desktop.inventory import orders
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.ui import dialogs, workers
from seom_desktop.ui.base import Screen
from seom_desktop.ui.order_entry import plural

log = logging.getLogger("seom_desktop.ui.import_orders")

ALL_CARTS = "All carts that can list orders"


@dataclass(frozen=True)
class CartImport:
    """One cart's import, as plain data for the GUI thread."""

    cart: str
    summary: str = ""
    orders: list[str] = field(default_factory=list)
    """One line per imported order."""
    imported: int = 0
    queued: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    """Why the cart could not be imported (nothing was stored for the failed batch)."""


@dataclass(frozen=True)
class ImportCarts:
    """The carts on this screen: those that can list orders, and those that cannot."""

    importable: list[str]
    others: list[str]


def read_carts(store: Store) -> ImportCarts:
    importable: list[str] = []
    others: list[str] = []
    with store.read() as session:
        for cart in cart_records.list_carts(session):
            if not cart.active:
                continue
            can = platform(cart.platform).capabilities.orders and has_connector(cart.platform)
            (importable if can else others).append(cart.name)
    return ImportCarts(importable, others)


def import_one(store: Store, name: str, workstation: str, task: workers.Task) -> CartImport:
    """Runs on the worker: one cart's import; a cart that fails is reported, not raised, so
    the other carts are still imported."""
    try:
        report = orders.import_orders(
            store,
            name,
            workstation,
            progress=lambda count: task.report(count, None),
            cancel=task.cancelled,
        )
    except SeomError as exc:
        log.warning("importing orders from %s failed: %s", name, exc, exc_info=True)
        return CartImport(name, error=str(exc))
    return CartImport(
        name,
        summary=report.summary.splitlines()[0],
        orders=[
            f"Order {o.number} ({name} order {o.cart_order_number}): "
            f"{plural(len(o.changes) + len(o.unknown_skus), 'line')}, "
            f"{plural(o.queued_rows, 'change')} queued for the other carts"
            for o in report.imported
        ],
        imported=len(report.imported),
        queued=sum(o.queued_rows for o in report.imported),
        warnings=list(report.warnings),
    )


def describe(results: list[CartImport]) -> str:
    lines: list[str] = []
    for result in results:
        if result.error:
            lines.append(f"{result.cart}: could not import - {result.error}")
            continue
        lines.append(result.summary)
        lines.extend(f"  {text}" for text in result.orders)
        lines.extend(f"  warning: {text}" for text in result.warnings)
    return "\n".join(lines)


class ImportOrders(Screen):
    title = "Import Orders"
    finished = Signal(str)
    """The report text, when an import ends (also after a failure)."""
    carts_loaded = Signal()

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.carts = ImportCarts([], [])
        self.task: workers.Task | None = None
        self.results: list[CartImport] = []
        self._cart_index = 0
        self._names: list[str] = []
        self._cancelled = False

        self.cart = QComboBox()
        self.cart.setObjectName("cart")
        self.cart.setMinimumWidth(280)
        cart_label = QLabel("&Cart:")
        cart_label.setBuddy(self.cart)
        self.import_button = QPushButton("&Import Orders")
        self.import_button.setObjectName("import")
        self.cancel_button = QPushButton("C&ancel")
        self.cancel_button.setToolTip("Stop after the cart being imported")
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9a5b00;")
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 1)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setObjectName("report")
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The summary of each cart's import shows here.")
        self.close_button = QPushButton("C&lose")

        top = QHBoxLayout()
        top.addWidget(cart_label)
        top.addWidget(self.cart, 1)
        top.addWidget(self.import_button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        layout.addWidget(self.report, 1)
        layout.addLayout(bottom)
        for first, second in itertools.pairwise(
            [self.cart, self.import_button, self.cancel_button, self.report, self.close_button]
        ):
            QWidget.setTabOrder(first, second)

        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.resize(680, 460)
        self._set_running(False)
        self.reload()

    # -- carts -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.run(lambda: read_carts(self.store), self._carts_read, "Cannot read the carts")

    def _carts_read(self, carts: ImportCarts) -> None:
        current = self.cart.currentText()
        self.carts = carts
        self.cart.clear()
        if len(carts.importable) > 1:
            self.cart.addItem(ALL_CARTS)
        self.cart.addItems(carts.importable)
        if current and self.cart.findText(current) >= 0:
            self.cart.setCurrentText(current)
        notes = []
        if not carts.importable:
            notes.append("No active cart can list its orders.")
        if carts.others:
            notes.append(
                f"{', '.join(carts.others)}: SEOM Desktop cannot download their orders; "
                "enter them with Order Entry."
            )
        self.note.setText(" ".join(notes))
        self._set_running(self.task is not None)
        self.carts_loaded.emit()

    def select_cart(self, name: str) -> None:
        self.cart.setCurrentIndex(self.cart.findText(name))

    def chosen(self) -> list[str]:
        text = self.cart.currentText()
        if text == ALL_CARTS:
            return list(self.carts.importable)
        return [text] if text else []

    # -- the import --------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.cart.setEnabled(not running)
        self.import_button.setEnabled(not running and bool(self.carts.importable))
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)  # busy
        else:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)

    def start_import(self) -> None:
        names = self.chosen()
        if self.task is not None or not names:
            return
        self._names = names
        self._cart_index = 0
        self._cancelled = False
        self.results = []
        self.report.clear()
        self._import_next()

    def _import_next(self) -> None:
        """One task per cart, one after the other (so Cancel stops between two carts)."""
        if self._cancelled or self._cart_index >= len(self._names):
            self._done()
            return
        store, workstation = self.store, self.workstation
        name = self._names[self._cart_index]
        task = workers.Task(
            lambda task: import_one(store, name, workstation, task), f"Importing {name} orders"
        )
        task.progress.connect(self._progress)
        task.done.connect(lambda result: self._cart_done(result) if isValid(self) else None)
        task.failed.connect(lambda message: self._failed(message) if isValid(self) else None)
        self.task = task
        self._set_running(True)
        self.status.setText(f"Importing orders from {name}...")
        self.start(task)

    def _progress(self, count: int, _total: int) -> None:
        if not isValid(self) or self.task is None:
            return
        self.status.setText(
            f"Importing orders from {self._names[self._cart_index]}... "
            f"{plural(count, 'order')} imported so far"
        )

    def cancel(self) -> None:
        if self.task is not None:
            self._cancelled = True
            self.cancel_button.setEnabled(False)
            self.status.setText("Stopping after the cart being imported...")

    def _cart_done(self, result: CartImport) -> None:
        self.results.append(result)
        self.report.setPlainText(describe(self.results))
        self._cart_index += 1
        self._import_next()

    def _done(self) -> None:
        self.task = None
        results = self.results
        self._set_running(False)
        text = describe(results)
        skipped = len(self._names) - len(results)
        if skipped:
            text += f"\nCancelled: {plural(skipped, 'cart')} not imported."
        self.report.setPlainText(text)
        imported = sum(r.imported for r in results)
        queued = sum(r.queued for r in results)
        self.status.setText(
            f"{plural(imported, 'new order')} imported; "
            f"{plural(queued, 'change')} queued for the carts."
        )
        failed = [r for r in results if r.error]
        if failed:
            dialogs.show_error(
                self,
                "Cannot import orders",
                "\n".join(f"{r.cart}: {r.error}" for r in failed)
                + "\n\nThe orders of the other carts were imported. Check the cart's settings "
                "(Shopping Carts) and try again; orders already imported are never imported "
                "twice.",
            )
        self.finished.emit(text)

    def _failed(self, message: str) -> None:
        self.task = None
        self._set_running(False)
        self.status.setText("The import stopped: " + message.splitlines()[0])
        dialogs.show_error(self, "Cannot import orders", message)
        self.finished.emit(self.status.text())
