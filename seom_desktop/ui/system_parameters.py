"""Set System Parameters (Main Menu > Quick Clicks > Set System Parameters).

Built from the declarations in :mod:`seom_desktop.store.params`: the groups on the left, the
selected group's parameters with value and description, and an editor that fits the
parameter's type. [Save] validates every changed value and stores them in one transaction.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.errors import SeomError
from seom_desktop.store import Store, params
from seom_desktop.store.params import Param, ParamType
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen


def _read_values(store: Store) -> dict[str, Any]:
    with store.read() as session:
        return params.get_many(session, [p.name for p in params.PARAMETERS])


class SystemParameters(Screen):
    title = "Set System Parameters"
    saved = Signal()

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.values: dict[str, Any] = _read_values(store)
        self.pending: dict[str, str] = {}
        """Changed values as typed (the text form), not yet saved."""
        self._loading = False

        self.groups = QListWidget()
        self.groups.setObjectName("groups")
        self.groups.addItems(params.groups())
        self.groups.setMaximumWidth(170)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("parameters")
        self.table.setHorizontalHeaderLabels(["Parameter", "Value", "Description"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.name_label = QLabel()
        self.name_label.setObjectName("parameter_name")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.bool_edit = QComboBox()
        self.bool_edit.addItems(["TRUE", "FALSE"])
        self.int_edit = QSpinBox()
        self.text_edit = QLineEdit()
        self.list_edit = QPlainTextEdit()
        self.list_edit.setPlaceholderText("one entry per line")
        self.list_edit.setMaximumHeight(110)
        self.editor = QStackedWidget()
        for widget in (self.bool_edit, self.int_edit, self.text_edit, self.list_edit):
            holder = QWidget()
            holder_layout = QVBoxLayout(holder)
            holder_layout.setContentsMargins(0, 0, 0, 0)
            holder_layout.addWidget(widget)
            holder_layout.addStretch(1)
            self.editor.addWidget(holder)
        self.editor.setMaximumHeight(120)
        self.value_label = QLabel("&Value:")
        self.value_label.setBuddy(self.bool_edit)
        self._editor: QWidget = self.bool_edit

        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("save")
        self.close_button = QPushButton("&Close")
        self.close_button.setObjectName("close")

        right = QVBoxLayout()
        right.addWidget(self.table, 3)
        right.addWidget(self.name_label)
        right.addWidget(self.description)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.value_label, 0, Qt.AlignmentFlag.AlignTop)
        edit_row.addWidget(self.editor, 1)
        right.addLayout(edit_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        left = QVBoxLayout()
        groups_label = QLabel("Parameter &groups")
        groups_label.setBuddy(self.groups)
        left.addWidget(groups_label)
        left.addWidget(self.groups)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)

        for first, second in (
            (self.groups, self.table),
            (self.table, self.bool_edit),
            (self.bool_edit, self.int_edit),
            (self.int_edit, self.text_edit),
            (self.text_edit, self.list_edit),
            (self.list_edit, self.save_button),
            (self.save_button, self.close_button),
        ):
            QWidget.setTabOrder(first, second)

        self.groups.currentTextChanged.connect(self.show_group)
        self.table.currentCellChanged.connect(lambda row, *_: self._select_row(row))
        self.bool_edit.currentTextChanged.connect(self._edited)
        self.int_edit.valueChanged.connect(lambda value: self._edited(str(value)))
        self.text_edit.textEdited.connect(self._edited)
        self.list_edit.textChanged.connect(
            lambda: self._edited(";".join(self.list_edit.toPlainText().splitlines()))
        )
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)
        self.groups.setCurrentRow(0)
        self.resize(860, 460)

    # -- showing -----------------------------------------------------------------------------
    def group_params(self) -> list[Param]:
        group = self.groups.currentItem().text() if self.groups.currentItem() else ""
        return [p for p in params.PARAMETERS if p.group == group]

    def current_param(self) -> Param | None:
        row = self.table.currentRow()
        shown = self.group_params()
        return shown[row] if 0 <= row < len(shown) else None

    def display_value(self, param: Param) -> str:
        if param.name in self.pending:
            return self.pending[param.name].replace(";", "; ")
        return param.display(self.values[param.name])

    def show_group(self, _group: str = "") -> None:
        shown = self.group_params()
        self.table.setRowCount(len(shown))
        for row, param in enumerate(shown):
            for col, text in enumerate((param.name, self.display_value(param), param.description)):
                item = QTableWidgetItem(text)
                item.setToolTip(param.description)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        if shown:
            self.table.setCurrentCell(0, 0)
            self._select_row(0)

    def select_parameter(self, name: str) -> None:
        param = params.declaration(name)
        items = self.groups.findItems(param.group, Qt.MatchFlag.MatchExactly)
        self.groups.setCurrentItem(items[0])
        row = [p.name for p in self.group_params()].index(param.name)
        self.table.setCurrentCell(row, 1)
        self._select_row(row)

    def _select_row(self, row: int) -> None:
        shown = self.group_params()
        if not 0 <= row < len(shown):
            return
        param = shown[row]
        self._loading = True
        try:
            self.name_label.setText(f"<b>{param.name}</b> ({param.type.value})")
            self.description.setText(param.description)
            value = (
                param.parse(self.pending[param.name])
                if param.name in self.pending
                else self.values[param.name]
            )
            if param.type is ParamType.BOOL:
                self.bool_edit.setCurrentText("TRUE" if value else "FALSE")
                self._show_editor(self.bool_edit)
            elif param.type is ParamType.INT:
                self.int_edit.setRange(
                    param.minimum if param.minimum is not None else -(2**31),
                    param.maximum if param.maximum is not None else 2**31 - 1,
                )
                self.int_edit.setValue(int(value))
                self._show_editor(self.int_edit)
            elif param.type is ParamType.LIST:
                self.list_edit.setPlainText("\n".join(value))
                self._show_editor(self.list_edit)
            else:
                self.text_edit.setText(str(value))
                self._show_editor(self.text_edit)
        finally:
            self._loading = False

    def _show_editor(self, widget: QWidget) -> None:
        holder = widget.parentWidget()
        assert holder is not None
        self.editor.setCurrentWidget(holder)
        self.value_label.setBuddy(widget)
        self._editor = widget

    def editor_widget(self) -> QWidget:
        """The editor of the selected parameter (what the clerk types into)."""
        return self._editor

    # -- editing -----------------------------------------------------------------------------
    def _edited(self, raw: str) -> None:
        if self._loading:
            return
        param = self.current_param()
        if param is None:
            return
        stored = param.dump(self.values[param.name])
        try:
            same = param.dump(param.parse(raw)) == stored
        except SeomError:  # an invalid entry stays pending; Save explains what is wrong
            same = False
        if same:
            self.pending.pop(param.name, None)
        else:
            self.pending[param.name] = raw
        row = self.table.currentRow()
        cell = self.table.item(row, 1)
        if cell is not None:
            cell.setText(self.display_value(param))
        self.setWindowModified(bool(self.pending))

    def save(self) -> None:
        if not self.pending:
            return
        changes = dict(self.pending)

        def work() -> dict[str, Any]:
            with self.store.write() as session:
                for name, raw in changes.items():
                    params.set_value(session, name, raw)
            return _read_values(self.store)

        self.save_button.setEnabled(False)
        self.run(
            work,
            self._saved,
            "Cannot save the system parameters",
            on_error=lambda _msg: self.save_button.setEnabled(True),
        )

    def _saved(self, values: dict[str, Any]) -> None:
        self.values = values
        self.pending.clear()
        self.setWindowModified(False)
        self.save_button.setEnabled(True)
        row = self.table.currentRow()
        self.show_group()
        if row >= 0:
            self.table.setCurrentCell(row, 0)
            self._select_row(row)
        self.saved.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.pending and not dialogs.confirm(
            self,
            "Unsaved changes",
            f"You changed {', '.join(sorted(self.pending))} without saving. "
            "Close and lose these changes?",
        ):
            event.ignore()
            return
        event.accept()
