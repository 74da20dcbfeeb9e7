"""Adjust Inventory (the [Adjust QOH] button of View Inventory).

SKU (with a search), Starting Quantity, Quantity to Add, Quantity to Subtract, New Quantity
(their sum, or typed directly), Reason (system parameter QOHReason) and "Send QOH changes to
Web sites" (ticked). Bad input is marked in place with a message and [Save] stays disabled;
[Save] applies the entry through :func:`seom_desktop.inventory.adjustments.adjust`.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from seom_desktop.errors import SeomError
from seom_desktop.inventory import adjustments, products
from seom_desktop.inventory.changes import AppliedChange
from seom_desktop.inventory.quantities import parse_quantity
from seom_desktop.store import Store, params
from seom_desktop.store.models import Cart
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen, message_label, result_label
from seom_desktop.ui.models import ProductModel

INVALID = "background: #ffe0e0;"


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


class ProductPicker(QDialog):
    """Search the products by SKU or name and pick one (Enter or double-click)."""

    def __init__(self, store: Store, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a product")
        self.model = ProductModel(store, self)
        self.search = QLineEdit(text)
        self.search.setPlaceholderText("part of a SKU or item name")
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        label = QLabel("&Search:")
        label.setBuddy(self.search)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.model.set_search)
        self.search.returnPressed.connect(self.view.setFocus)
        self.view.doubleClicked.connect(lambda _index: self.accept())
        self.model.loaded.connect(self._select_first)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.resize(520, 420)
        self.model.set_search(text)

    def _select_first(self) -> None:
        if self.model.rows and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)

    def chosen(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.product(rows[0].row()).sku if rows else None


class AdjustInventory(Screen):
    title = "Adjust Inventory"
    saved = Signal(object)
    """The AppliedChange, after a save committed."""

    def __init__(
        self, store: Store, workstation: str, sku: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(store, workstation, parent)
        self.starting: int | None = None
        self.typed_new = False
        self.last_result = ""

        self.sku = QLineEdit()
        self.sku.setObjectName("sku")
        self.sku.setPlaceholderText("type a SKU and press Enter, or Search")
        self.search_button = QPushButton("Searc&h...")
        self.item_name = QLabel()
        self.item_name.setObjectName("item_name")
        self.starting_edit = QLineEdit()
        self.starting_edit.setReadOnly(True)
        self.starting_edit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.add_edit = QLineEdit("0")
        self.subtract_edit = QLineEdit("0")
        self.new_edit = QLineEdit()
        for edit in (self.starting_edit, self.add_edit, self.subtract_edit, self.new_edit):
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setMaximumWidth(140)
        self.reason = QComboBox()
        self.reason.setObjectName("reason")
        self.send_to_web = QCheckBox("Send QOH changes to &Web sites")
        self.send_to_web.setChecked(True)
        self.message = message_label()
        self.result = result_label()
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        self.close_button = QPushButton("&Close")

        form = QFormLayout()
        sku_row = QHBoxLayout()
        sku_row.addWidget(self.sku, 1)
        sku_row.addWidget(self.search_button)
        form.addRow("S&KU:", sku_row)
        form.addRow("Item name:", self.item_name)
        form.addRow("Starting Quantity:", self.starting_edit)
        form.addRow("Quantity to &Add:", self.add_edit)
        form.addRow("Quantity to S&ubtract:", self.subtract_edit)
        form.addRow("&New Quantity:", self.new_edit)
        form.addRow("&Reason:", self.reason)
        form.addRow("", self.send_to_web)
        for label_for in (self.sku, self.add_edit, self.subtract_edit, self.new_edit, self.reason):
            label = form.labelForField(label_for)
            if label is None and label_for is self.sku:
                label = form.labelForField(sku_row)
            if isinstance(label, QLabel):
                label.setBuddy(label_for)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.result)
        layout.addStretch(1)
        layout.addLayout(buttons)

        order = [
            self.sku,
            self.search_button,
            self.add_edit,
            self.subtract_edit,
            self.new_edit,
            self.reason,
            self.send_to_web,
            self.save_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.sku.returnPressed.connect(self.load_sku)
        self.sku.editingFinished.connect(self._sku_left)
        self.search_button.clicked.connect(self.search)
        self.add_edit.textEdited.connect(self._amounts_edited)
        self.subtract_edit.textEdited.connect(self._amounts_edited)
        self.new_edit.textEdited.connect(self._new_edited)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)
        self.load_reasons()
        self.resize(480, 400)
        if sku:
            self.sku.setText(sku)
            self.load_sku()
        else:
            self.validate()

    # -- loading ---------------------------------------------------------------------------
    def load_reasons(self) -> None:
        with self.store.read() as session:
            reasons: list[str] = params.get(session, "QOHReason")
        self.reason.clear()
        self.reason.addItem("")
        self.reason.addItems(reasons)

    def _sku_left(self) -> None:
        if self.sku.text().strip() and self.starting is None:
            self.load_sku()

    def load_sku(self) -> None:
        """Show the product typed in the SKU field (one indexed read)."""
        text = self.sku.text().strip()
        self.starting = None
        self.item_name.clear()
        self.starting_edit.clear()
        if text:
            try:
                with self.store.read() as session:
                    info = products.product_info(session, products.clean_sku(text))
            except SeomError as exc:
                self.validate(_sentence(exc))
                return
            self.sku.setText(info.sku)
            self.item_name.setText(info.name)
            self.starting = info.qoh
            self.starting_edit.setText(str(info.qoh))
        self.reset_amounts()

    def reset_amounts(self) -> None:
        self.add_edit.setText("0")
        self.subtract_edit.setText("0")
        self.typed_new = False
        self.validate()

    def search(self) -> None:
        picker = ProductPicker(self.store, self.sku.text().strip(), self)
        if picker.exec() == QDialog.DialogCode.Accepted and picker.chosen():
            self.sku.setText(picker.chosen() or "")
            self.load_sku()
            self.add_edit.setFocus()

    # -- the numbers -----------------------------------------------------------------------
    def _amounts_edited(self, _text: str) -> None:
        self.typed_new = False
        self.validate()

    def _new_edited(self, _text: str) -> None:
        self.typed_new = bool(self.new_edit.text().strip())
        self.validate()

    def entry(self) -> adjustments.Adjustment:
        """The entry as typed; an InputError says what is wrong with it."""
        if self.starting is None:
            raise SeomError("Type the SKU of a product (or use Search) first.")
        if self.typed_new:
            set_to = parse_quantity(self.new_edit.text(), "New Quantity")
            return adjustments.Adjustment(
                self.sku.text().strip(),
                set_to=set_to,
                reason=self.reason.currentText(),
                send_to_web=self.send_to_web.isChecked(),
            )
        add = parse_quantity(self.add_edit.text() or "0", "Quantity to Add")
        subtract = parse_quantity(self.subtract_edit.text() or "0", "Quantity to Subtract")
        adjustments.new_quantity(self.starting, add, subtract)
        return adjustments.Adjustment(
            self.sku.text().strip(),
            add=add,
            subtract=subtract,
            reason=self.reason.currentText(),
            send_to_web=self.send_to_web.isChecked(),
        )

    def validate(self, sku_problem: str = "") -> bool:
        """Check the fields; mark a bad one, say why, and enable [Save] only when valid."""
        for edit in (self.add_edit, self.subtract_edit, self.new_edit, self.sku):
            edit.setStyleSheet("")
        entry: adjustments.Adjustment | None = None
        problem = sku_problem
        bad: QLineEdit | None = self.sku if sku_problem else None
        if not problem and self.starting is not None:
            try:
                entry = self.entry()
            except SeomError as exc:
                problem = _sentence(exc)
                if self.typed_new:
                    bad = self.new_edit
                elif "ubtract" in problem:
                    bad = self.subtract_edit
                else:
                    bad = self.add_edit
        if bad is not None:
            bad.setStyleSheet(INVALID)
        if not self.typed_new:
            if entry is not None and self.starting is not None:
                self.new_edit.setText(str(self.starting + entry.add - entry.subtract))
            else:
                self.new_edit.clear()
        self.add_edit.setEnabled(not self.typed_new)
        self.subtract_edit.setEnabled(not self.typed_new)
        self.message.setText(problem)
        self.save_button.setEnabled(entry is not None and not self.busy)
        self.setWindowModified(
            entry is not None and (self.typed_new or entry.add > 0 or entry.subtract > 0)
        )
        return entry is not None

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        if not self.validate():
            why = self.message.text() or "Type the SKU of a product (or use Search) first."
            dialogs.show_error(self, "Cannot save the adjustment", why)
            return
        entry = self.entry()

        def work() -> tuple[AppliedChange, list[str]]:
            with self.store.write() as session:
                applied = adjustments.adjust(session, entry, self.workstation)
                names = dict(
                    session.execute(
                        select(Cart.id, Cart.name).where(Cart.id.in_(applied.stack_cart_ids))
                    ).all()
                )
            return applied, [names[c] for c in applied.stack_cart_ids]

        self.save_button.setEnabled(False)
        self.run(work, self._saved, "Cannot save the adjustment", on_error=self._save_failed)

    def _save_failed(self, _message: str) -> None:
        self.validate()

    def _saved(self, result: tuple[AppliedChange, list[str]]) -> None:
        applied, carts = result
        where = f"queued for {', '.join(carts)}" if carts else "not sent to any cart"
        self.last_result = (
            f"{applied.sku}: {applied.qoh_before} -> {applied.qoh_after} "
            f"({applied.delta:+d}); {where}"
        )
        self.result.setText("Saved. " + self.last_result)
        self.starting = applied.qoh_after
        self.starting_edit.setText(str(applied.qoh_after))
        self.new_edit.clear()
        self.reset_amounts()
        self.saved.emit(applied)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isWindowModified() and not dialogs.confirm(
            self, "Unsaved adjustment", "The adjustment was not saved. Close and lose it?"
        ):
            event.ignore()
            return
        event.accept()
