"""The Main Menu: the Quick Clicks panel, the menus and the status bar.

Quick Clicks opens every screen; the Orders menu opens Order Entry, POS, Receive PO and
Import Orders; Settings > System Functions > Shopping Carts as in SEOM;
Ctrl+Shift+S opens the Stack Controller. The status bar shows the store, this workstation,
the controller mode (and which PC is the shared controller), the backlog and the bypassed
count (click it for the Stack Controller). It is refreshed off the GUI thread every two
seconds and whenever this PC's stack controller reports something.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QMainWindow,
    QPushButton,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlalchemy import func, select

from seom_desktop.stack import actions
from seom_desktop.store import Store
from seom_desktop.store.models import Cart, Product
from seom_desktop.ui import dialogs, workers
from seom_desktop.ui.adjust_inventory import AdjustInventory
from seom_desktop.ui.advanced_cart_functions import AdvancedCartFunctions
from seom_desktop.ui.base import Screen
from seom_desktop.ui.import_orders import ImportOrders
from seom_desktop.ui.order_entry import OrderEntry
from seom_desktop.ui.pos import Pos
from seom_desktop.ui.receive_po import ReceivePo
from seom_desktop.ui.shopping_carts import ShoppingCarts
from seom_desktop.ui.stack_viewer import StackViewer
from seom_desktop.ui.system_parameters import SystemParameters
from seom_desktop.ui.view_inventory import ViewInventory

QUICK_CLICKS: list[tuple[str, type[Screen]]] = [
    ("&View Inventory", ViewInventory),
    ("&Adjust Inventory", AdjustInventory),
    ("Shopping &Carts", ShoppingCarts),
    ("Advanced Cart &Functions", AdvancedCartFunctions),
    ("Set System &Parameters", SystemParameters),
    ("S&tack Controller", StackViewer),
    ("Order &Entry", OrderEntry),
    ("P&OS", Pos),
    ("&Receive PO", ReceivePo),
    ("&Import Orders", ImportOrders),
]
"""The Quick Clicks buttons."""

ORDERS_MENU: list[tuple[str, type[Screen]]] = [
    ("&Order Entry", OrderEntry),
    ("&POS", Pos),
    ("&Receive PO", ReceivePo),
    ("&Import Orders", ImportOrders),
]
"""The Orders menu."""


@dataclass(frozen=True)
class MenuStatus:
    products: int
    carts: int
    stack: dict[str, Any]


def read_status(store: Store) -> MenuStatus:
    with store.read() as session:
        return MenuStatus(
            products=int(session.scalar(select(func.count()).select_from(Product)) or 0),
            carts=int(session.scalar(select(func.count()).select_from(Cart)) or 0),
            stack=actions.status(session),
        )


class MainMenu(QMainWindow):
    refreshed = Signal()

    def __init__(self, store: Store, workstation: str, controller: Any = None) -> None:
        super().__init__()
        self.store = store
        self.workstation = workstation
        self.controller = controller
        self.screens: dict[type[Screen], Screen] = {}
        self._refreshing = False
        self.status: MenuStatus | None = None
        self.setWindowTitle(f"SEOM Desktop - Main Menu - {store.display_name}")

        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.summary = QLabel(central)
        self.summary.setObjectName("summary")
        layout.addWidget(self.summary)
        self.quick = QGroupBox("Quick Clicks")
        grid = QGridLayout(self.quick)
        self.quick_buttons: dict[type[Screen], QPushButton] = {}
        for index, (text, cls) in enumerate(QUICK_CLICKS):
            button = QPushButton(text)
            button.setMinimumHeight(44)
            button.clicked.connect(lambda _checked=False, c=cls: self.open_screen(c))
            grid.addWidget(button, index // 3, index % 3)
            self.quick_buttons[cls] = button
        layout.addWidget(self.quick)
        layout.addStretch(1)
        self.setCentralWidget(central)

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        quit_action = QAction("E&xit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        orders_menu = menu.addMenu("Or&ders")
        for text, cls in ORDERS_MENU:
            action = QAction(text, self)
            action.triggered.connect(lambda _checked=False, c=cls: self.open_screen(c))
            orders_menu.addAction(action)
        settings = menu.addMenu("&Settings")
        system = settings.addMenu("System &Functions")
        self.carts_action = QAction("Shopping &Carts", self)
        self.carts_action.triggered.connect(lambda: self.open_screen(ShoppingCarts))
        system.addAction(self.carts_action)
        advanced = QAction("&Advanced Cart Functions", self)
        advanced.triggered.connect(lambda: self.open_screen(AdvancedCartFunctions))
        system.addAction(advanced)
        parameters = QAction("Set System &Parameters", self)
        parameters.triggered.connect(lambda: self.open_screen(SystemParameters))
        system.addAction(parameters)
        self.stack_action = QAction("&Stack Controller", self)
        self.stack_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.stack_action.triggered.connect(self.open_stack_controller)
        system.addAction(self.stack_action)
        self.addAction(self.stack_action)

        self.setStatusBar(QStatusBar(self))
        self.store_label = QLabel(f"Store: {store.display_name}")
        self.workstation_label = QLabel(f"Workstation: {workstation}")
        self.controller_label = QLabel("Controller: ...")
        self.controller_label.setObjectName("controller")
        self.backlog_label = QLabel("Backlog: ...")
        self.bypassed_button = QPushButton("Bypassed: ...")
        self.bypassed_button.setObjectName("bypassed")
        self.bypassed_button.setFlat(True)
        self.bypassed_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.bypassed_button.setToolTip("Open the Stack Controller (Ctrl+Shift+S)")
        self.bypassed_button.clicked.connect(self.open_bypassed)
        for widget in (
            self.store_label,
            self.workstation_label,
            self.controller_label,
            self.backlog_label,
            self.bypassed_button,
        ):
            self.statusBar().addPermanentWidget(widget)

        if controller is not None:
            controller.stack_event.connect(self._stack_event)
            controller.failed.connect(self._controller_failed)
        self._timer = QTimer(self)
        self._timer.setInterval(2000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.resize(760, 360)
        self.refresh()

    # -- screens -----------------------------------------------------------------------------
    def open_screen(self, cls: type[Screen]) -> Screen:
        """Show the screen (one window per screen; raised if already open)."""
        screen = self.screens.get(cls)
        if screen is None or not isValid(screen):
            screen = cls(self.store, self.workstation)
            screen.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            if isinstance(screen, StackViewer) and self.controller is not None:
                self.controller.stack_event.connect(screen.on_stack_event)
            self.screens[cls] = screen
        screen.show()
        screen.raise_()
        screen.activateWindow()
        return screen

    def open_stack_controller(self) -> StackViewer:
        screen = self.open_screen(StackViewer)
        assert isinstance(screen, StackViewer)
        return screen

    def open_bypassed(self) -> None:
        screen = self.open_stack_controller()
        screen.set_filter(status="bypassed", all_pcs=True)

    # -- status ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        workers.run_task(
            lambda: read_status(self.store), self._show, self._failed, name="main menu status"
        )

    def _failed(self, message: str) -> None:
        if isValid(self):
            self._refreshing = False
            self.statusBar().showMessage(f"Cannot read the store: {message}", 5000)

    def _show(self, status: MenuStatus) -> None:
        if not isValid(self):
            return
        self._refreshing = False
        self.status = status
        stack = status.stack
        self.summary.setText(f"{status.products} products, {status.carts} carts")
        if stack["mode"] == "shared":
            owner = stack["controller_workstation"]
            if owner is None:
                who = "nobody is sending"
            elif owner == self.workstation:
                who = "this PC"
            else:
                who = owner
            self.controller_label.setText(f"Controller: shared ({who})")
        else:
            self.controller_label.setText("Controller: local")
        self.backlog_label.setText(f"Backlog: {stack['pending']}")
        self.bypassed_button.setText(f"Bypassed: {stack['bypassed']}")
        if stack["warning"]:
            self.statusBar().showMessage(stack["warning"], 4000)
        self.refreshed.emit()

    def _stack_event(self, kind: str, cart: str, rows: int, message: str) -> None:
        if kind in ("failed", "review", "error") and message:
            self.statusBar().showMessage(f"{cart}: {message}" if cart else message, 8000)
        self.refresh()

    def _controller_failed(self, message: str) -> None:
        dialogs.show_error(
            self,
            "The stack controller stopped",
            f"{message}\n\nChanges made on this PC wait in the web stack; restart SEOM "
            "Desktop to send them. The details were written to the log.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        for screen in list(self.screens.values()):
            if isValid(screen) and screen.isVisible() and not screen.close():
                event.ignore()
                return
        self._timer.stop()
        event.accept()
