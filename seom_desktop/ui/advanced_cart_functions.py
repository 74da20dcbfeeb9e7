"""Advanced Cart Functions: manual inventory updates with one cart.

"Select a Shopping Cart", then the **Synchronize Quantity on Hand (QOH)** section: [Send QOH to
<cart type>] with "Maximum number of items to send" (default 50), [Get QOH from <cart type>]
with "Create Records for New Products". The buttons are enabled by the cart type's
capabilities. Before a send the clerk is reminded to import outstanding orders; when the cart
is synchronized in real time, warned that these buttons are for the initial synchronization.
A run shows a progress bar with [Cancel], keeps the window responsive (it runs on a worker
thread through :func:`seom_desktop.inventory.qoh_sync.send_qoh` / ``get_qoh``), and ends with
the summary and the per-SKU report, which can be saved as CSV.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.carts.platforms import platform
from seom_desktop.carts.registry import has_connector
from seom_desktop.inventory import qoh_sync
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.carts import CartInfo
from seom_desktop.ui import dialogs, workers
from seom_desktop.ui.base import Screen

Index = QModelIndex | QPersistentModelIndex
ReportRow = tuple[str, str, int | None, int | None, str, str]


def report_rows(report: qoh_sync.SyncReport) -> list[ReportRow]:
    return [
        (i.sku, i.cart_sku, i.store_qoh, i.cart_qoh, i.status.value, i.message)
        for i in report.items()
    ]


@dataclass(frozen=True)
class RunResult:
    """What a finished run hands back to the GUI thread: plain data only."""

    summary: dict[str, Any]
    items: list[ReportRow]
    """One plain tuple per SKU (cheap for the garbage collector with 100,000 of them)."""
    report: qoh_sync.SyncReport


class ReportModel(QAbstractTableModel):
    headers = ("SKU", "Cart SKU", "Store QOH", "Cart QOH", "Status", "Message")

    def __init__(self) -> None:
        super().__init__()
        self.items: list[ReportRow] = []

    def set_items(self, items: list[ReportRow]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        value = self.items[index.row()][index.column()]
        return "" if value is None else str(value)


def describe(summary: dict[str, Any]) -> str:
    """The run's summary in a sentence or two."""
    verb = "Sent" if summary["direction"] == "send" else "Got"
    parts = [f"{verb} {summary['ok']} item(s)"]
    if summary["direction"] == "get":
        parts.append(f"{summary['changed']} QOH changed, {summary['created']} product(s) created")
    for key, label in (
        ("not_found", "not found"),
        ("not_tracked", "not tracked"),
        ("skipped", "skipped"),
        ("errors", "errors"),
    ):
        if summary[key]:
            parts.append(f"{summary[key]} {label}")
    text = ", ".join(parts) + "."
    if summary["cancelled"]:
        text += " Cancelled by the clerk: the items above were done, the rest were not."
    if summary["aborted"]:
        text += f" The run stopped: {summary['aborted']}."
    return text


class AdvancedCartFunctions(Screen):
    title = "Advanced Cart Functions"
    finished = Signal(str)
    """The summary sentence, when a run ends (also after Cancel or a failure)."""

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.carts: list[CartInfo] = []
        self.synch_qoh = False
        self.task: workers.Task | None = None
        self.result: RunResult | None = None

        self.cart_list = QListWidget()
        self.cart_list.setObjectName("cart_list")
        self.cart_list.setMaximumWidth(300)
        self.cart_list.setMinimumWidth(260)
        list_label = QLabel("Select a Shopping &Cart")
        list_label.setBuddy(self.cart_list)

        self.sync_box = QGroupBox("Synchronize Quantity on Hand (QOH)")
        self.send_button = QPushButton("&Send QOH")
        self.send_button.setObjectName("send")
        self.max_items = QSpinBox()
        self.max_items.setRange(1, 10_000)
        self.max_items.setValue(50)
        self.max_items.setObjectName("max_items")
        max_label = QLabel("&Maximum number of items to send:")
        max_label.setBuddy(self.max_items)
        self.get_button = QPushButton("&Get QOH")
        self.get_button.setObjectName("get")
        self.create_new = QCheckBox("Create &Records for New Products")
        self.realtime_note = QLabel()
        self.realtime_note.setObjectName("realtime_note")
        self.realtime_note.setWordWrap(True)
        self.realtime_note.setStyleSheet("color: #9a5b00;")
        grid = QVBoxLayout(self.sync_box)
        send_row = QHBoxLayout()
        send_row.addWidget(self.send_button)
        send_row.addWidget(max_label)
        send_row.addWidget(self.max_items)
        send_row.addStretch(1)
        get_row = QHBoxLayout()
        get_row.addWidget(self.get_button)
        get_row.addWidget(self.create_new)
        get_row.addStretch(1)
        grid.addLayout(send_row)
        grid.addLayout(get_row)
        grid.addWidget(self.realtime_note)

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setFormat("%v of %m")
        self.cancel_button = QPushButton("C&ancel")
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.report_model = ReportModel()
        self.report_view = QTableView()
        self.report_view.setObjectName("report")
        self.report_view.setModel(self.report_model)
        self.report_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report_view.verticalHeader().setVisible(False)
        self.report_view.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.save_report_button = QPushButton("Save Report as CS&V...")
        self.close_button = QPushButton("C&lose")

        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_report_button)
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        right = QVBoxLayout()
        right.addWidget(self.sync_box)
        right.addLayout(progress_row)
        right.addWidget(self.summary)
        right.addWidget(self.report_view, 1)
        right.addLayout(bottom)
        left = QVBoxLayout()
        left.addWidget(list_label)
        left.addWidget(self.cart_list)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)

        order = [
            self.cart_list,
            self.send_button,
            self.max_items,
            self.get_button,
            self.create_new,
            self.cancel_button,
            self.report_view,
            self.save_report_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.cart_list.currentRowChanged.connect(lambda _row: self._cart_changed())
        self.send_button.clicked.connect(self.send_qoh)
        self.get_button.clicked.connect(self.get_qoh)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_report_button.clicked.connect(self.save_report)
        self.close_button.clicked.connect(self.close)
        self.reload()
        self._set_running(False)
        self.resize(900, 560)

    # -- carts -------------------------------------------------------------------------------
    def reload(self) -> None:
        with self.store.read() as session:
            self.carts = cart_records.list_carts(session)
            self.synch_qoh = bool(params.get(session, "SynchQOH"))
        current = self.cart_list.currentRow()
        self.cart_list.clear()
        for cart in self.carts:
            self.cart_list.addItem(f"{cart.name} ({platform(cart.platform).label})")
        if self.carts:
            self.cart_list.setCurrentRow(max(0, min(current, len(self.carts) - 1)))
        self._cart_changed()

    def select_cart(self, name: str) -> None:
        self.cart_list.setCurrentRow([c.name for c in self.carts].index(name))

    def selected(self) -> CartInfo | None:
        row = self.cart_list.currentRow()
        return self.carts[row] if 0 <= row < len(self.carts) else None

    def realtime_on(self, cart: CartInfo) -> bool:
        return self.synch_qoh and cart.sync_inventory

    def _cart_changed(self) -> None:
        cart = self.selected()
        running = self.task is not None
        if cart is None:
            self.send_button.setText("&Send QOH")
            self.get_button.setText("&Get QOH")
            for widget in (self.send_button, self.get_button, self.max_items, self.create_new):
                widget.setEnabled(False)
            self.realtime_note.clear()
            return
        found = platform(cart.platform)
        connected = has_connector(cart.platform)
        self.send_button.setText(f"&Send QOH to {found.label}")
        self.get_button.setText(f"&Get QOH from {found.label}")
        can_send = found.capabilities.push and connected and not running
        can_get = found.capabilities.pull and connected and not running
        self.send_button.setEnabled(can_send)
        self.max_items.setEnabled(can_send)
        self.get_button.setEnabled(can_get)
        self.create_new.setEnabled(can_get)
        self.max_items.setValue(cart.max_items_per_send)
        notes = []
        if not (found.capabilities.push or found.capabilities.pull):
            notes.append(f"{found.label} carts do not exchange quantities with SEOM Desktop.")
        elif not connected:
            notes.append(f"SEOM Desktop cannot talk to {found.label} carts yet.")
        if self.realtime_on(cart):
            notes.append(
                f"{cart.name} is synchronized in real time: these buttons are for the initial "
                "synchronization only."
            )
        self.realtime_note.setText(" ".join(notes))

    # -- runs --------------------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)
        self.cart_list.setEnabled(not running)
        self.save_report_button.setEnabled(not running and self.result is not None)
        if not running:
            self._cart_changed()
        else:
            for widget in (self.send_button, self.get_button, self.max_items, self.create_new):
                widget.setEnabled(False)

    def _force_if_realtime(self, cart: CartInfo, button: str) -> bool | None:
        """None when the clerk stopped; else whether to force past the real-time rule."""
        if not self.realtime_on(cart):
            return False
        if not dialogs.confirm(
            self,
            "Real-time synchronization is on",
            f"{cart.name} is synchronized in real time (SynchQOH is TRUE and its Synchronize "
            f"Inventory box is ticked). [{button}] is meant for the initial synchronization, "
            "before real-time synchronization is turned on; using it now can overwrite "
            "changes still on their way. Continue anyway?",
        ):
            return None
        return True

    def send_qoh(self) -> None:
        cart = self.selected()
        if cart is None or self.task is not None:
            return
        if not dialogs.confirm(
            self,
            "Import outstanding orders first",
            "Before sending quantities to "
            f"{cart.name}, make sure every outstanding order has been imported from each cart "
            "of this store; otherwise the cart's stock will be set without those sales. "
            + (platform(cart.platform).notes + " " if platform(cart.platform).notes else "")
            + "Send QOH now?",
        ):
            return
        force = self._force_if_realtime(cart, f"Send QOH to {platform(cart.platform).label}")
        if force is None:
            return
        max_items = self.max_items.value()
        name = cart.name

        def work(task: workers.Task) -> RunResult:
            report = qoh_sync.send_qoh(
                self.store,
                name,
                self.workstation,
                max_items=max_items,
                progress=task.report,
                cancel=task.cancelled,
                force=force,
            )
            return RunResult(report.summary(), report_rows(report), report)

        self._start(work, f"Sending QOH to {name}")

    def get_qoh(self) -> None:
        cart = self.selected()
        if cart is None or self.task is not None:
            return
        force = self._force_if_realtime(cart, f"Get QOH from {platform(cart.platform).label}")
        if force is None:
            return
        create = self.create_new.isChecked()
        name = cart.name

        def work(task: workers.Task) -> RunResult:
            report = qoh_sync.get_qoh(
                self.store,
                name,
                self.workstation,
                create_new=create,
                progress=task.report,
                cancel=task.cancelled,
                force=force,
            )
            return RunResult(report.summary(), report_rows(report), report)

        self._start(work, f"Getting QOH from {name}")

    def _start(self, fn: Any, what: str) -> None:
        if self.result is not None:
            self.result.report.close()
        self.result = None
        self.report_model.set_items([])
        self.summary.setText(what + "...")
        self.progress.setRange(0, 0)
        task = workers.Task(fn, what)
        task.progress.connect(self._progress)
        task.done.connect(self._done)
        task.failed.connect(self._failed)
        self.task = task
        self._set_running(True)
        self.start(task)

    def _progress(self, done: int, total: int) -> None:
        if total < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.summary.setText("Cancelling after the batches under way...")

    def _done(self, result: RunResult) -> None:
        self.task = None
        self.result = result
        total = result.summary["total"]
        done = len(result.items)
        self.progress.setRange(0, max(total if total is not None else done, 1))
        self.progress.setValue(done)
        self.report_model.set_items(result.items)
        self.summary.setText(describe(result.summary))
        self._set_running(False)
        self.finished.emit(self.summary.text())

    def _failed(self, message: str) -> None:
        self.task = None
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.summary.setText("Nothing was done: " + message.splitlines()[0])
        self._set_running(False)
        dialogs.show_error(self, "Cannot synchronize QOH", message)
        self.finished.emit(self.summary.text())

    def save_report(self) -> None:
        if self.result is None:
            return
        summary = self.result.summary
        suggested = f"{summary['direction']}-qoh-{summary['cart']}.csv".replace(" ", "-").lower()
        path = dialogs.ask_save_path(self, "Save the per-SKU report", suggested)
        if not path:
            return
        try:
            self.result.report.to_csv(path)
        except OSError as exc:
            dialogs.show_error(
                self,
                "Cannot save the report",
                f"{path} could not be written ({exc.strerror}); choose another folder.",
            )
            return
        self.summary.setText(self.summary.text() + f" Report saved to {path}.")

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.task is not None:
            if not dialogs.confirm(
                self,
                "A run is under way",
                "Stop the run after the batches under way and close?",
            ):
                event.ignore()
                return
            self.task.cancel()
        if self.result is not None:
            self.result.report.close()
            self.result = None
        event.accept()
