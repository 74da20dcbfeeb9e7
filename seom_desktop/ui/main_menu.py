"""The Main Menu window (the full Quick Clicks panel arrives with the screens issue)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QStatusBar, QVBoxLayout, QWidget
from sqlalchemy import func, select

from seom_desktop.store import Store
from seom_desktop.store.models import Cart, Product, StackRow, StackStatus


class MainMenu(QMainWindow):
    def __init__(self, store: Store, workstation: str) -> None:
        super().__init__()
        self.store = store
        self.workstation = workstation
        self.setWindowTitle("SEOM Desktop - Main Menu")
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.summary = QLabel(central)
        self.summary.setObjectName("summary")
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.setCentralWidget(central)
        self.setStatusBar(QStatusBar(self))
        self.store_label = QLabel(f"Store: {store.display_name}")
        self.workstation_label = QLabel(f"Workstation: {workstation}")
        self.backlog_label = QLabel()
        for label in (self.store_label, self.workstation_label, self.backlog_label):
            self.statusBar().addPermanentWidget(label)
        self.refresh()
        self._timer = QTimer(self)
        self._timer.setInterval(2000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.resize(720, 420)

    def refresh(self) -> None:
        with self.store.read() as session:
            n_products = session.scalar(select(func.count()).select_from(Product)) or 0
            n_carts = session.scalar(select(func.count()).select_from(Cart)) or 0
            backlog = (
                session.scalar(
                    select(func.count())
                    .select_from(StackRow)
                    .where(StackRow.status == StackStatus.PENDING.value)
                )
                or 0
            )
        self.summary.setText(f"{n_products} products, {n_carts} carts")
        self.backlog_label.setText(f"Backlog: {backlog}")
