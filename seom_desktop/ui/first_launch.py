"""First launch on a workstation: name this PC, choose (or create) the store, and see who
sends the web stack.

Page one asks for this PC's name and the store: a store file (on a share, for several PCs)
or a PostgreSQL URL, opened or created. The store is opened off the GUI thread. Page two
tells the clerk, once the stack controller has started, whether the stack is local (this PC
sends its own changes) or shared - and then whether this PC was elected the shared stack
controller or which PC is.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from seom_desktop import config
from seom_desktop.errors import InputError
from seom_desktop.stack import actions
from seom_desktop.store import Store, open_store
from seom_desktop.ui import dialogs, workers

StartController = Callable[[Store, str], Any]
"""Called once the store is open: starts this PC's stack controller and returns the
ControllerThread (whose ``stack_event`` signal tells of the election), or None."""


def controller_text(status: dict[str, Any], workstation: str) -> str:
    if status["mode"] != "shared":
        return (
            "The stack is <b>local</b>: this PC sends the changes made on it to the carts "
            "itself (set SharedStackController to TRUE to have one PC send for all)."
        )
    owner = status["controller_workstation"]
    if owner is None:
        who = status["designated"] or "the first PC to start"
        return (
            "The stack is <b>shared</b>, and no PC is sending yet; waiting for "
            f"{who} to become the shared stack controller."
        )
    if owner.casefold() == workstation.casefold():
        return (
            "The stack is <b>shared</b> and <b>this PC was elected the shared stack "
            "controller</b>: it sends the changes of every workstation. Keep it running."
        )
    return (
        f"The stack is <b>shared</b>: <b>{owner}</b> is the shared stack controller and "
        "sends this PC's changes."
    )


class FirstLaunch(QDialog):
    controller_shown = Signal(str)
    """The controller text, once page two shows it."""

    def __init__(
        self,
        *,
        start_controller: StartController | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("SEOM Desktop - First launch on this PC")
        self.start_controller = start_controller
        self.store: Store | None = None
        self.workstation = ""
        self.controller: Any = None
        self._busy = False

        saved = config.WorkstationConfig.load()
        self.pages = QStackedWidget()
        setup = QWidget()
        intro = QLabel(
            "Welcome to SEOM Desktop. Give this PC a name (the Stack Controller shows it "
            "next to every change made here) and choose the store: the store file every PC "
            "of the shop opens (put it on a shared folder), or a PostgreSQL URL."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(saved.name or socket.gethostname() or "")
        self.name_edit.setObjectName("name")
        self.store_edit = QLineEdit(saved.store or str(config.default_store_path()))
        self.store_edit.setObjectName("store")
        self.browse_button = QPushButton("&Browse...")
        self.new_button = QPushButton("&New Store...")
        self.create_box = QCheckBox("&Create the store if it does not exist yet")
        self.create_box.setChecked(True)
        self.continue_button = QPushButton("C&ontinue")
        self.continue_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        form = QFormLayout()
        name_label = QLabel("This PC's &name:")
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, self.name_edit)
        store_row = QHBoxLayout()
        store_row.addWidget(self.store_edit, 1)
        store_row.addWidget(self.browse_button)
        store_row.addWidget(self.new_button)
        store_label = QLabel("&Store file or PostgreSQL URL:")
        store_label.setBuddy(self.store_edit)
        form.addRow(store_label, store_row)
        form.addRow("", self.create_box)
        self.setup_message = QLabel()
        self.setup_message.setObjectName("setup_message")
        self.setup_message.setWordWrap(True)
        setup_layout = QVBoxLayout(setup)
        setup_layout.addWidget(intro)
        setup_layout.addLayout(form)
        setup_layout.addWidget(self.setup_message)
        setup_layout.addStretch(1)
        setup_buttons = QHBoxLayout()
        setup_buttons.addStretch(1)
        setup_buttons.addWidget(self.continue_button)
        setup_buttons.addWidget(self.cancel_button)
        setup_layout.addLayout(setup_buttons)

        done = QWidget()
        self.opened_label = QLabel()
        self.opened_label.setObjectName("opened")
        self.opened_label.setWordWrap(True)
        self.controller_label = QLabel("Starting the stack controller...")
        self.controller_label.setObjectName("controller")
        self.controller_label.setWordWrap(True)
        self.open_button = QPushButton("&Open the Main Menu")
        done_layout = QVBoxLayout(done)
        done_layout.addWidget(self.opened_label)
        done_layout.addWidget(self.controller_label)
        done_layout.addStretch(1)
        done_buttons = QHBoxLayout()
        done_buttons.addStretch(1)
        done_buttons.addWidget(self.open_button)
        done_layout.addLayout(done_buttons)

        self.pages.addWidget(setup)
        self.pages.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        for first, second in (
            (self.name_edit, self.store_edit),
            (self.store_edit, self.browse_button),
            (self.browse_button, self.new_button),
            (self.new_button, self.create_box),
            (self.create_box, self.continue_button),
            (self.continue_button, self.cancel_button),
        ):
            QWidget.setTabOrder(first, second)

        self.browse_button.clicked.connect(self.browse)
        self.new_button.clicked.connect(self.new_store)
        self.continue_button.clicked.connect(self.go)
        self.cancel_button.clicked.connect(self.reject)
        self.open_button.clicked.connect(self.accept)
        self.resize(640, 300)

    # -- page one ----------------------------------------------------------------------------
    def browse(self) -> None:
        path = dialogs.ask_open_path(self, "Open a store file", self.store_edit.text())
        if path:
            self.store_edit.setText(path)
            self.create_box.setChecked(False)

    def new_store(self) -> None:
        path = dialogs.ask_save_path(
            self, "Create a store file", self.store_edit.text(), "Store files (*.seom)"
        )
        if path:
            self.store_edit.setText(path)
            self.create_box.setChecked(True)

    def go(self) -> None:
        if self._busy:
            return
        name = self.name_edit.text().strip()
        location = self.store_edit.text().strip()
        if not name:
            self.setup_message.setText("Give this PC a name, e.g. FRONT-DESK.")
            self.name_edit.setFocus()
            return
        if not location:
            self.setup_message.setText("Choose a store file, or type a PostgreSQL URL.")
            self.store_edit.setFocus()
            return
        create = self.create_box.isChecked()

        def work() -> Store:
            if len(name) > 100:
                raise InputError("the PC's name must be at most 100 characters")
            store = open_store(location, create=create)
            try:
                store.register_workstation(name)
            except Exception:
                store.close()
                raise
            return store

        self._busy = True
        self.continue_button.setEnabled(False)
        self.setup_message.setText("Opening the store...")
        workers.run_task(
            work,
            lambda store: self._opened(store, name, location),
            self._failed,
            name="first launch: open store",
        )

    def _failed(self, message: str) -> None:
        if not isValid(self):
            return
        self._busy = False
        self.continue_button.setEnabled(True)
        self.setup_message.setText("")
        dialogs.show_error(
            self,
            "Cannot open the store",
            f"{message}\n\nCheck the file name or URL, or tick Create to make a new store.",
        )

    def _opened(self, store: Store, name: str, location: str) -> None:
        if not isValid(self):
            store.close()
            return
        self._busy = False
        self.store = store
        self.workstation = name
        config.WorkstationConfig(name=name, store=location).save()
        self.opened_label.setText(
            f"This PC is <b>{name}</b>; it uses the store <b>{store.display_name}</b>."
        )
        self.pages.setCurrentIndex(1)
        self.open_button.setFocus()
        if self.start_controller is not None:
            self.controller = self.start_controller(store, name)
            signal = getattr(self.controller, "stack_event", None)
            if signal is not None:
                signal.connect(self._controller_event)
        self.show_controller()

    # -- page two ----------------------------------------------------------------------------
    def _controller_event(self, kind: str, *_args: object) -> None:
        if kind == "lease":
            self.show_controller()

    def show_controller(self) -> None:
        store, name = self.store, self.workstation
        if store is None:
            return

        def work() -> dict[str, Any]:
            with store.read() as session:
                return actions.status(session)

        def done(status: dict[str, Any]) -> None:
            if not isValid(self):
                return
            text = controller_text(status, name)
            self.controller_label.setText(text)
            self.controller_shown.emit(text)

        def failed(message: str) -> None:
            if isValid(self):
                self.controller_label.setText(f"Cannot read the stack controller: {message}")

        workers.run_task(work, done, failed, name="first launch: controller")


def needs_first_launch(cli_workstation: str | None, cli_store: str | None) -> bool:
    """True when this PC has never been set up (and nothing on the command line or in the
    environment says which PC or store this is)."""
    if cli_workstation or cli_store or os.environ.get("SEOM_WORKSTATION"):
        return False
    if os.environ.get("SEOM_STORE"):
        return False
    return config.WorkstationConfig.load().name is None
