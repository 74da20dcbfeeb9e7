"""The Stack Controller screen (Ctrl+Shift+S from the Main Menu).

The web stack as a table - ID, cart, SKU, change, created, origin PC, Attempts, Last
Response, status - filtered by origin (this PC / all PCs), status (pending / bypassed / sent /
all) and cart. Rows are read in keyset pages as the clerk scrolls; every refresh (the
controller's events, or every two seconds) re-reads only the rows on screen and appends new
ones, so 100,000 rows are never reloaded. Retry, Bypass and Delete (confirmed) act through
:mod:`seom_desktop.stack.actions`; Pause / Resume stops sending on this PC. The controller's
state (mode, owner, last heartbeat) and small charts of the backlog and the sends per minute
sit above the table.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.errors import SeomError
from seom_desktop.stack import actions, browse
from seom_desktop.stack.browse import StackFilter
from seom_desktop.stack.rows import StackEntry
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import local_time
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen
from seom_desktop.ui.charts import MiniChart
from seom_desktop.ui.models import Index, PagedModel

BACKLOG_SAMPLES = 60


class StackModel(PagedModel[StackEntry]):
    headers = (
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

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(store, parent)
        self.filter = StackFilter()

    def set_filter(self, flt: StackFilter) -> None:
        self.filter = flt
        self.reload()

    def load_page(self, after: StackEntry | None, limit: int) -> list[StackEntry]:
        with self.store.read() as session:
            return browse.stack_page(
                session, self.filter, after_id=after.id if after else 0, limit=limit
            )

    def load_count(self) -> int:
        with self.store.read() as session:
            return browse.count_stack(session, self.filter)

    def cell(self, row: StackEntry, column: int) -> Any:
        if column == 4:
            return local_time(row.created_at).strftime("%Y-%m-%d %H:%M:%S")
        if column == 3:
            return f"{row.delta:+d}"
        return (
            row.id,
            row.cart,
            row.sku,
            row.delta,
            row.created_at,
            row.origin_workstation,
            row.attempts,
            row.last_response,
            row.status,
        )[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 3, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)

    def row_of(self, row_id: int) -> int | None:
        """Where the row with this id is (rows are in id order)."""
        position = bisect.bisect_left(self.rows, row_id, key=lambda entry: entry.id)
        if position < len(self.rows) and self.rows[position].id == row_id:
            return position
        return None

    def update_rows(self, fresh: dict[int, StackEntry | None]) -> None:
        """Replace the rows re-read from the store in place; drop deleted ones."""
        for row_id, entry in fresh.items():
            position = self.row_of(row_id)
            if position is None:
                continue
            if entry is None:
                self.beginRemoveRows(self.index(0, 0).parent(), position, position)
                del self.rows[position]
                self.endRemoveRows()
                if self.total is not None:
                    self.total -= 1
            elif entry != self.rows[position]:
                self.rows[position] = entry
                self.dataChanged.emit(
                    self.index(position, 0), self.index(position, len(self.headers) - 1)
                )

    def append_new(self, page: list[StackEntry], limit: int) -> None:
        """Rows created since the last page (only when everything before was loaded)."""
        last = self.rows[-1].id if self.rows else 0
        page = [entry for entry in page if entry.id > last]
        if page:
            first = len(self.rows)
            self.beginInsertRows(self.index(0, 0).parent(), first, first + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
            if self.total is not None:
                self.total += len(page)
        if len(page) >= limit:
            self._exhausted = False


@dataclass(frozen=True)
class Snapshot:
    """What one refresh read, off the GUI thread."""

    status: dict[str, Any]
    paused: bool
    sends_per_minute: list[int]
    fresh: dict[int, StackEntry | None]
    new_rows: list[StackEntry]
    read_at: datetime


class StackViewer(Screen):
    title = "Stack Controller"
    refreshed = Signal()

    NEW_ROWS_LIMIT = 1000

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.paused = False
        self.backlog: list[int] = []
        self._refreshing = False
        self.last_status: dict[str, Any] = {}

        self.state_label = QLabel()
        self.state_label.setObjectName("state")
        self.state_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #b00020;")
        self.backlog_chart = MiniChart()
        self.backlog_chart.setObjectName("backlog_chart")
        self.sends_chart = MiniChart()
        self.sends_chart.setObjectName("sends_chart")

        self.origin_combo = QComboBox()
        self.origin_combo.addItem(f"This PC ({workstation})", workstation)
        self.origin_combo.addItem("All PCs", None)
        self.status_combo = QComboBox()
        for status in ("pending", "bypassed", "sent", "all"):
            self.status_combo.addItem(status.capitalize(), status)
        self.cart_combo = QComboBox()
        self.cart_combo.addItem("All carts", None)
        with store.read() as session:
            for cart in cart_records.list_carts(session):
                self.cart_combo.addItem(cart.name, cart.name)
        self.count_label = QLabel()
        self.count_label.setObjectName("count")

        self.model = StackModel(store, self)
        self.view = QTableView()
        self.view.setObjectName("stack")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 70), (1, 150), (2, 120), (3, 60), (4, 140), (5, 100), (6, 65)):
            self.view.setColumnWidth(column, width)

        self.retry_button = QPushButton("&Retry")
        self.bypass_button = QPushButton("&Bypass")
        self.delete_button = QPushButton("&Delete")
        self.pause_button = QPushButton("&Pause sending on this PC")
        self.pause_button.setObjectName("pause")
        self.refresh_button = QPushButton("Re&fresh")
        self.close_button = QPushButton("&Close")

        charts = QHBoxLayout()
        charts.addWidget(self.backlog_chart)
        charts.addWidget(self.sends_chart)
        filters = QHBoxLayout()
        for text, combo in (
            ("&Origin:", self.origin_combo),
            ("&Status:", self.status_combo),
            ("C&art:", self.cart_combo),
        ):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(label)
            filters.addWidget(combo)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        buttons = QHBoxLayout()
        for button in (self.retry_button, self.bypass_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addWidget(self.warning_label)
        layout.addLayout(charts)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

        order = [
            self.origin_combo,
            self.status_combo,
            self.cart_combo,
            self.view,
            self.retry_button,
            self.bypass_button,
            self.delete_button,
            self.pause_button,
            self.refresh_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        for combo in (self.origin_combo, self.status_combo, self.cart_combo):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.model.loaded.connect(self._update_count)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.retry_button.clicked.connect(lambda: self._act("Retry", actions.retry))
        self.bypass_button.clicked.connect(lambda: self._act("Bypass", actions.bypass))
        self.delete_button.clicked.connect(self.delete_selected)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.close)
        self._timer = QTimer(self)
        self._timer.setInterval(2000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._update_buttons()
        self.resize(1040, 640)
        self.apply_filter()
        self.refresh()

    # -- filtering ---------------------------------------------------------------------------
    def current_filter(self) -> StackFilter:
        return StackFilter(
            status=str(self.status_combo.currentData()),
            workstation=self.origin_combo.currentData(),
            cart=self.cart_combo.currentData(),
        )

    def set_filter(
        self, *, status: str | None = None, all_pcs: bool | None = None, cart: str | None = None
    ) -> None:
        """Choose filters as the clerk would (one reload)."""
        for combo in (self.origin_combo, self.status_combo, self.cart_combo):
            combo.blockSignals(True)
        try:
            if status is not None:
                self.status_combo.setCurrentIndex(self.status_combo.findData(status))
            if all_pcs is not None:
                self.origin_combo.setCurrentIndex(1 if all_pcs else 0)
            if cart is not None:
                self.cart_combo.setCurrentIndex(max(0, self.cart_combo.findText(cart)))
        finally:
            for combo in (self.origin_combo, self.status_combo, self.cart_combo):
                combo.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())

    def _update_count(self) -> None:
        total = self.model.total
        loaded = len(self.model.rows)
        self.count_label.setText(
            f"{loaded:,} of {total:,} rows shown" if total is not None else f"{loaded:,} rows"
        )

    # -- live refresh ------------------------------------------------------------------------
    def visible_ids(self) -> list[int]:
        rows = self.model.rows
        if not rows:
            return []
        first = max(self.view.rowAt(0), 0)
        last = self.view.rowAt(self.view.viewport().height() - 1)
        if last < 0:
            last = min(len(rows) - 1, first + 100)
        return [entry.id for entry in rows[first : last + 1]]

    def refresh(self) -> None:
        """Re-read the controller's state, the rows on screen and any new rows."""
        if self._refreshing:
            return
        self._refreshing = True
        ids = self.visible_ids() + [entry.id for entry in self.selected_entries()]
        flt = self.model.filter
        after = self.model.rows[-1].id if self.model.rows else 0
        want_new = self.model.exhausted and not self.model.loading
        generation = self.model._generation

        def work() -> Snapshot:
            with self.store.read() as session:
                return Snapshot(
                    status=actions.status(session),
                    paused=browse.is_paused(session, self.workstation),
                    sends_per_minute=browse.sends_per_minute(session, 30),
                    fresh=browse.rows_by_id(session, ids),
                    new_rows=(
                        browse.stack_page(session, flt, after_id=after, limit=self.NEW_ROWS_LIMIT)
                        if want_new
                        else []
                    ),
                    read_at=datetime.now(),
                )

        def done(snapshot: Snapshot) -> None:
            self._refreshing = False
            self._show(snapshot, generation)

        def failed(_message: str) -> None:
            self._refreshing = False

        self.run(work, done, "Cannot read the web stack", on_error=failed)

    def _show(self, snap: Snapshot, generation: int) -> None:
        status = snap.status
        self.last_status = status
        if generation == self.model._generation:
            self.model.update_rows(snap.fresh)
            if snap.new_rows and self.model.exhausted:
                self.model.append_new(snap.new_rows, self.NEW_ROWS_LIMIT)
            self._update_count()
        if status["mode"] == "shared":
            owner = status["controller_workstation"]
            who = (
                "this PC" if owner == self.workstation else (owner or "nobody is sending right now")
            )
            mode = f"Shared stack controller: {who}"
            if status["designated"]:
                mode += f" (designated: {status['designated']})"
        else:
            mode = "Local stack: each workstation sends its own changes"
        heartbeat = status["last_heartbeat"]
        beat = (
            local_time(datetime.fromisoformat(heartbeat)).strftime("%H:%M:%S")
            if heartbeat and status["mode"] == "shared"
            else "-"
        )
        running = ", ".join(status["running_controllers"]) or "none"
        held = [b["cart"] for b in status["backlog"] if b["held"] and b["pending"]]
        text = (
            f"<b>{mode}</b>. Last heartbeat: {beat}. Controllers running: {running}. "
            f"Pending: {status['pending']}, bypassed: {status['bypassed']}, "
            f"sent in the last minute: {status['sent_last_minute']}."
        )
        if not status["synch_qoh"]:
            text += " SynchQOH is FALSE: nothing is sent."
        if held:
            text += f" Held (cart inactive or not synchronized): {', '.join(held)}."
        if snap.paused:
            text += " <b>Sending is paused on this PC.</b>"
        self.state_label.setText(text)
        self.warning_label.setText(status["warning"])
        self.warning_label.setVisible(bool(status["warning"]))
        self.paused = snap.paused
        self.pause_button.setText(
            "&Resume sending on this PC" if snap.paused else "&Pause sending on this PC"
        )
        self.backlog.append(int(status["pending"]))
        del self.backlog[:-BACKLOG_SAMPLES]
        self.backlog_chart.set_series("Backlog", self.backlog)
        self.sends_chart.set_series("Sent per minute (30 min)", snap.sends_per_minute, bars=True)
        self.refreshed.emit()

    def on_stack_event(self, kind: str, _cart: str, _rows: int, _message: str) -> None:
        """Connected to the controller thread's events: show the change at once."""
        self.refresh()

    # -- actions -----------------------------------------------------------------------------
    def selected_entries(self) -> list[StackEntry]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [self.model.rows[row] for row in rows if row < len(self.model.rows)]

    def select_ids(self, ids: list[int]) -> None:
        self.view.clearSelection()
        for row_id in ids:
            row = self.model.row_of(row_id)
            if row is not None:
                self.view.selectionModel().select(
                    self.model.index(row, 0),
                    self.view.selectionModel().SelectionFlag.Select
                    | self.view.selectionModel().SelectionFlag.Rows,
                )

    def _update_buttons(self) -> None:
        entries = self.selected_entries()
        self.retry_button.setEnabled(any(e.status != "sent" for e in entries))
        self.bypass_button.setEnabled(any(e.status == "pending" for e in entries))
        self.delete_button.setEnabled(bool(entries))

    def _act(self, what: str, action: Callable[[Any, int], Any]) -> None:
        ids = [entry.id for entry in self.selected_entries()]
        if not ids:
            return

        def work() -> list[str]:
            problems = []
            for row_id in ids:
                try:
                    with self.store.write() as session:
                        action(session, row_id)
                except SeomError as exc:
                    problems.append(str(exc))
            return problems

        def done(problems: list[str]) -> None:
            if problems:
                dialogs.show_error(
                    self,
                    f"{what}: some rows were not changed",
                    "\n".join(problems[:10])
                    + ("\n..." if len(problems) > 10 else "")
                    + "\n\nRefresh to see where they stand and try again.",
                )
            self.refresh()

        self.run(work, done, f"Cannot {what.lower()} the rows")

    def delete_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        pending = sum(1 for e in entries if e.status == "pending")
        warn = (
            f" {pending} of them have not reached their cart yet; the carts will never hear "
            "of those changes."
            if pending
            else ""
        )
        if not dialogs.confirm(
            self,
            "Delete web-stack rows",
            f"Delete {len(entries)} row(s) from the web stack?{warn} This cannot be undone.",
        ):
            return
        self._act("Delete", actions.delete)

    def toggle_pause(self) -> None:
        pause = not self.paused

        def work() -> bool:
            with self.store.write() as session:
                actions.set_paused(session, self.workstation, pause)
            return pause

        def done(paused: bool) -> None:
            self.paused = paused
            self.refresh()

        self.run(work, done, "Cannot pause or resume sending")

    def closeEvent(self, event: Any) -> None:
        self._timer.stop()
        event.accept()
