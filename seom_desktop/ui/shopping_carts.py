"""Shopping Carts (Main Menu > Settings > System Functions > Shopping Carts).

The Current Carts List with [New Cart], [Edit Cart] and [Delete]; the cart form with Store
Name, Cart Type, Script URL, Cart ID/Username, Cart Password (masked), options, Active, Order
Download Batch and [Test Connection] (run off the GUI thread). The **Synchronize Inventory**
check box sits in the upper right and is shown only when SynchQOH is TRUE and the cart type
can take real-time changes. [Save] / [Close]; unsaved changes are never dropped silently.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from seom_desktop.carts.platforms import PLATFORMS, platform
from seom_desktop.carts.registry import connector_for, connector_settings
from seom_desktop.errors import InputError
from seom_desktop.store import Store, params
from seom_desktop.store import carts as cart_records
from seom_desktop.store.carts import CartInfo
from seom_desktop.ui import dialogs
from seom_desktop.ui.base import Screen


def parse_options(text: str) -> dict[str, str]:
    """``key=value`` lines (blank lines ignored)."""
    options: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InputError(f"options line {number} ({line.strip()!r}) must read key=value")
        options[key.strip()] = value.strip()
    return options


class ShoppingCarts(Screen):
    title = "Shopping Carts"
    saved = Signal(str)
    """The name of the cart just saved."""
    tested = Signal(str)
    """Test Connection's answer (or the error)."""

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(store, workstation, parent)
        self.carts: list[CartInfo] = []
        self.editing: CartInfo | None = None
        """The cart in the form (None: a new cart, or nothing)."""
        self.form_open = False
        self._filling = False

        # -- the list ------------------------------------------------------------------------
        self.cart_list = QListWidget()
        self.cart_list.setObjectName("cart_list")
        self.new_button = QPushButton("Ne&w Cart")
        self.edit_button = QPushButton("&Edit Cart")
        self.delete_button = QPushButton("&Delete")
        list_label = QLabel("C&urrent Carts List")
        list_label.setBuddy(self.cart_list)
        left = QVBoxLayout()
        left.addWidget(list_label)
        left.addWidget(self.cart_list, 1)
        row = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.delete_button):
            row.addWidget(button)
        left.addLayout(row)

        # -- the form ------------------------------------------------------------------------
        self.form_box = QGroupBox("Cart")
        self.sync_box = QCheckBox("S&ynchronize Inventory")
        self.sync_box.setObjectName("sync_inventory")
        self.name_edit = QLineEdit()
        self.type_combo = QComboBox()
        for key, found in PLATFORMS.items():
            self.type_combo.addItem(found.label, key)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://www.example.com/seom.php")
        self.user_edit = QLineEdit()
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.options_edit = QPlainTextEdit()
        self.options_edit.setPlaceholderText("key=value, one per line (e.g. location_id=...)")
        self.options_edit.setMaximumHeight(70)
        self.options_edit.setTabChangesFocus(True)
        self.active_box = QCheckBox("Acti&ve")
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 10_000)
        self.batch_spin.setValue(50)
        self.test_button = QPushButton("&Test Connection")
        self.test_result = QLabel()
        self.test_result.setObjectName("test_result")
        self.test_result.setWordWrap(True)
        self.save_button = QPushButton("&Save")
        self.close_button = QPushButton("&Close")

        header = QHBoxLayout()
        self.caps_label = QLabel()
        self.caps_label.setObjectName("capabilities")
        header.addWidget(self.caps_label, 1)
        header.addWidget(self.sync_box, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form = QFormLayout()
        fields = (
            ("Store &Name:", self.name_edit),
            ("Cart T&ype:", self.type_combo),
            ("Script &URL:", self.url_edit),
            ("Cart &ID/Username:", self.user_edit),
            ("Cart &Password:", self.secret_edit),
            ("&Options:", self.options_edit),
            ("Order Download &Batch:", self.batch_spin),
        )
        for text, widget in fields:
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.active_box)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        box_layout = QVBoxLayout(self.form_box)
        box_layout.addLayout(header)
        box_layout.addLayout(form)
        box_layout.addLayout(test_row)
        box_layout.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        right = QVBoxLayout()
        right.addWidget(self.form_box, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        order = [
            self.cart_list,
            self.new_button,
            self.edit_button,
            self.delete_button,
            self.sync_box,
            self.name_edit,
            self.type_combo,
            self.url_edit,
            self.user_edit,
            self.secret_edit,
            self.options_edit,
            self.batch_spin,
            self.active_box,
            self.test_button,
            self.save_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

        self.new_button.clicked.connect(self.new_cart)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.cart_list.itemActivated.connect(lambda _item: self.edit_selected())
        self.cart_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.type_combo.currentIndexChanged.connect(lambda _i: self._type_changed())
        for edit in (self.name_edit, self.url_edit, self.user_edit, self.secret_edit):
            edit.textEdited.connect(self._mark_modified)
        self.options_edit.textChanged.connect(self._mark_modified)
        self.active_box.toggled.connect(self._mark_modified)
        self.sync_box.toggled.connect(self._mark_modified)
        self.batch_spin.valueChanged.connect(self._mark_modified)
        self.test_button.clicked.connect(self.test_connection)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close)

        self.reload()
        self._clear_form()
        self.resize(880, 480)

    # -- the list ----------------------------------------------------------------------------
    def reload(self, select: str | None = None) -> None:
        with self.store.read() as session:
            self.carts = cart_records.list_carts(session)
            self.synch_qoh = bool(params.get(session, "SynchQOH"))
        self.cart_list.clear()
        for cart in self.carts:
            flags = [platform(cart.platform).label]
            if not cart.active:
                flags.append("inactive")
            if cart.sync_inventory:
                flags.append("synchronized")
            self.cart_list.addItem(f"{cart.name}  ({', '.join(flags)})")
        names = [c.name for c in self.carts]
        if select in names:
            self.cart_list.setCurrentRow(names.index(select))
        elif self.carts:
            self.cart_list.setCurrentRow(0)
        self._update_buttons()

    def selected(self) -> CartInfo | None:
        row = self.cart_list.currentRow()
        return self.carts[row] if 0 <= row < len(self.carts) else None

    def select_cart(self, name: str) -> None:
        self.cart_list.setCurrentRow([c.name for c in self.carts].index(name))

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.edit_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    # -- the form ----------------------------------------------------------------------------
    def _may_discard(self) -> bool:
        return not self.isWindowModified() or dialogs.confirm(
            self,
            "Unsaved changes",
            "The cart form has changes that were not saved. Discard them?",
        )

    def _clear_form(self) -> None:
        self._fill(None)
        self.form_box.setEnabled(False)
        self.form_open = False
        self.save_button.setEnabled(False)

    def new_cart(self) -> None:
        if not self._may_discard():
            return
        self._fill(None)
        self.name_edit.setFocus()

    def edit_selected(self) -> None:
        cart = self.selected()
        if cart is None or not self._may_discard():
            return
        self._fill(cart)
        self.name_edit.setFocus()

    def _fill(self, cart: CartInfo | None) -> None:
        self._filling = True
        try:
            self.editing = cart
            self.form_open = True
            self.form_box.setEnabled(True)
            self.save_button.setEnabled(True)
            self.form_box.setTitle(f"Edit Cart: {cart.name}" if cart else "New Cart")
            self.name_edit.setText(cart.name if cart else "")
            index = self.type_combo.findData(cart.platform if cart else "generic")
            self.type_combo.setCurrentIndex(index)
            self.url_edit.setText(cart.url if cart else "")
            self.user_edit.setText(cart.username if cart else "")
            self.secret_edit.clear()
            self.secret_edit.setPlaceholderText(
                "(unchanged; type to replace)" if cart and cart.secret else ""
            )
            self.options_edit.setPlainText(
                "\n".join(f"{k}={v}" for k, v in (cart.options if cart else {}).items())
            )
            self.active_box.setChecked(cart.active if cart else True)
            self.batch_spin.setValue(cart.order_download_batch if cart else 50)
            self.sync_box.setChecked(cart.sync_inventory if cart else False)
            self.test_result.clear()
            self._type_changed()
        finally:
            self._filling = False
        self.setWindowModified(False)

    def platform_key(self) -> str:
        return str(self.type_combo.currentData())

    def _type_changed(self) -> None:
        caps = platform(self.platform_key()).capabilities
        self.sync_box.setVisible(self.synch_qoh and caps.realtime)
        can = [
            what
            for what, ok in (
                ("Send QOH", caps.push),
                ("Get QOH", caps.pull),
                ("real-time changes", caps.realtime),
            )
            if ok
        ]
        found = platform(self.platform_key())
        text = "This cart type supports: " + (", ".join(can) if can else "no inventory exchange")
        if found.notes:
            # e.g. Miva keeps stock in open baskets: the clerk must empty them first.
            text += "\n" + found.notes
        self.caps_label.setText(text)
        self.caps_label.setWordWrap(True)
        self._mark_modified()

    def _mark_modified(self, *_args: object) -> None:
        if not self._filling and self.form_open:
            self.setWindowModified(True)

    def _form_cart(self) -> CartInfo:
        """The form as a cart snapshot (the stored secret when none was typed)."""
        base = self.editing
        return CartInfo(
            id=base.id if base else 0,
            name=self.name_edit.text().strip(),
            platform=self.platform_key(),
            url=self.url_edit.text().strip(),
            username=self.user_edit.text(),
            secret=self.secret_edit.text() or (base.secret if base else ""),
            options=parse_options(self.options_edit.toPlainText()),
            sync_inventory=self.sync_box.isChecked() and not self.sync_box.isHidden(),
            active=self.active_box.isChecked(),
            order_download_batch=self.batch_spin.value(),
            max_items_per_send=base.max_items_per_send if base else 50,
        )

    # -- Test Connection ---------------------------------------------------------------------
    def test_connection(self) -> None:
        try:
            cart = self._form_cart()
        except InputError as exc:
            dialogs.show_error(self, "Cannot test the connection", str(exc))
            return
        if not cart.name:
            cart = replace(cart, name="this cart")

        def work() -> str:
            with self.store.read() as session:
                settings = connector_settings(session, cart)
            with connector_for(cart, timeout=15.0, **settings) as connector:
                return connector.test_connection()

        self.test_button.setEnabled(False)
        self.test_result.setStyleSheet("")
        self.test_result.setText("Testing...")
        self.run(work, self._tested, "Test Connection failed", on_error=self._test_failed)

    def _tested(self, answer: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #1b7a2e;")
        self.test_result.setText(answer)
        self.tested.emit(answer)

    def _test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setStyleSheet("color: #b00020;")
        self.test_result.setText(message.splitlines()[0])
        self.tested.emit(message)

    # -- Save / Delete -----------------------------------------------------------------------
    def save(self) -> None:
        if not self.form_open:
            return
        try:
            cart = self._form_cart()
        except InputError as exc:
            dialogs.show_error(self, "Cannot save the cart", str(exc))
            return
        editing = self.editing
        typed_secret = self.secret_edit.text()

        def work() -> str:
            with self.store.write() as session:
                if editing is None:
                    created = cart_records.add_cart(
                        session,
                        cart.name,
                        cart.platform,
                        cart.url,
                        username=cart.username,
                        secret=cart.secret,
                        options=cart.options,
                        active=cart.active,
                    )
                    name = created.name
                    fields = {"order_download_batch": str(cart.order_download_batch)}
                else:
                    name = editing.name
                    fields = {
                        "name": cart.name,
                        "platform": cart.platform,
                        "url": cart.url,
                        "user": cart.username,
                        "active": "on" if cart.active else "off",
                        "order_download_batch": str(cart.order_download_batch),
                    }
                    if typed_secret:
                        fields["secret"] = typed_secret
                    for key in editing.options:
                        fields[f"option.{key}"] = ""
                    for key, value in cart.options.items():
                        fields[f"option.{key}"] = value
                fields["sync"] = "on" if cart.sync_inventory else "off"
                return cart_records.set_cart_fields(session, name, fields).name

        self.save_button.setEnabled(False)
        self.run(
            work,
            self._saved,
            "Cannot save the cart",
            on_error=lambda _m: self.save_button.setEnabled(True),
        )

    def _saved(self, name: str) -> None:
        self.setWindowModified(False)
        self.reload(select=name)
        selected = self.selected()
        if selected is not None:
            self._fill(selected)
        self.saved.emit(name)

    def delete_selected(self) -> None:
        cart = self.selected()
        if cart is None:
            return
        with self.store.read() as session:
            pending = cart_records.pending_count(session, cart.name)
        waiting = (
            f" Its {pending} change(s) waiting in the web stack will be dropped." if pending else ""
        )
        if not dialogs.confirm(
            self,
            "Delete cart",
            f"Delete the cart {cart.name}?{waiting} This cannot be undone.",
        ):
            return

        def work() -> int:
            with self.store.write() as session:
                return cart_records.delete_cart(session, cart.name)

        def deleted(_dropped: int) -> None:
            if self.editing is not None and self.editing.id == cart.id:
                self.setWindowModified(False)
                self._clear_form()
            self.reload()

        self.run(work, deleted, "Cannot delete the cart")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_discard():
            event.ignore()
            return
        event.accept()
