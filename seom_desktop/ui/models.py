"""Table models that load in keyset pages off the GUI thread, so 100,000 rows stay fast.

The view asks for more rows as the clerk scrolls (``canFetchMore`` / ``fetchMore``); each page
is read by a worker in its own read transaction and appended on the GUI thread.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from shiboken6 import isValid

from seom_desktop.inventory import history
from seom_desktop.inventory.products import ProductInfo
from seom_desktop.store import Store
from seom_desktop.ui import dialogs, workers

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex


class PagedModel(QAbstractTableModel, Generic[Row]):
    """Rows appended page by page. Subclasses give the columns and :meth:`load_page`."""

    headers: Sequence[str] = ()
    page_size = 1000
    loaded = Signal()
    """A page (or the count) arrived."""

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.rows: list[Row] = []
        self.total: int | None = None
        self._exhausted = False
        self._loading = False
        self._generation = 0

    # -- subclass hooks --------------------------------------------------------------------
    def load_page(self, after: Row | None, limit: int) -> list[Row]:
        """Runs on a worker thread: the page after ``after`` (None: the first page)."""
        raise NotImplementedError

    def load_count(self) -> int:
        raise NotImplementedError

    def cell(self, row: Row, column: int) -> Any:
        raise NotImplementedError

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        """Forget the rows and read again from the first page (e.g. the filter changed)."""
        self._generation += 1
        self.beginResetModel()
        self.rows = []
        self.total = None
        self._exhausted = False
        self._loading = False
        self.endResetModel()
        generation = self._generation
        workers.run_task(
            self.load_count,
            lambda total: self._got_count(generation, total),
            self._failed,
            name=f"{type(self).__name__} count",
        )
        self.fetchMore(QModelIndex())

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or self._loading:
            return
        self._loading = True
        generation = self._generation
        after = self.rows[-1] if self.rows else None
        limit = self.page_size
        workers.run_task(
            lambda: self.load_page(after, limit),
            lambda page: self._got_page(generation, page, limit),
            self._failed,
            name=f"{type(self).__name__} page",
        )

    def _got_count(self, generation: int, total: int) -> None:
        if isValid(self) and generation == self._generation:
            self.total = total
            self.loaded.emit()

    def _got_page(self, generation: int, page: list[Row], limit: int) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self._loading = False
        if len(page) < limit:
            self._exhausted = True
        if page:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
            # Long-lived rows leave the garbage collector's care: with 100,000 rows loaded a
            # full collection would otherwise walk them all and stall the GUI thread.
            gc.freeze()
        self.loaded.emit()

    def _failed(self, message: str) -> None:
        if not isValid(self):
            return
        self._loading = False
        self._exhausted = True
        dialogs.show_error(None, "Cannot read the store", message)

    def fetch_all(self, on_each: Callable[[], None] | None = None) -> None:
        """For scripts: keep fetching until every row is loaded (pages arrive via signals)."""
        if on_each is not None:
            self.loaded.connect(on_each)
        self.fetchMore()

    # -- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        value = self.cell(self.rows[index.row()], index.column())
        return None if value is None else str(value)


class ProductModel(PagedModel[ProductInfo]):
    """The product list (View Inventory, the SKU search of Adjust Inventory)."""

    headers = ("SKU", "Item Name", "QOH")

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(store, parent)
        self.search = ""

    def set_search(self, text: str) -> None:
        self.search = text.strip()
        self.reload()

    def load_page(self, after: ProductInfo | None, limit: int) -> list[ProductInfo]:
        with self.store.read() as session:
            return history.product_page(
                session, self.search, after_sku=after.sku if after else None, limit=limit
            )

    def load_count(self) -> int:
        with self.store.read() as session:
            return history.count_products(session, self.search)

    def cell(self, row: ProductInfo, column: int) -> Any:
        return (row.sku, row.name, row.qoh)[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)

    def product(self, row: int) -> ProductInfo:
        return self.rows[row]
