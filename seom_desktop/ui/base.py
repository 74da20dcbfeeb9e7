"""What every screen window shares: the store, this workstation, busy tracking, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QWidget
from shiboken6 import isValid

from seom_desktop.store import Store
from seom_desktop.ui import dialogs, workers


def message_label() -> QLabel:
    """The line where a screen says what went wrong (red, wrapped; object name "message")."""
    label = QLabel()
    label.setObjectName("message")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    return label


def result_label() -> QLabel:
    """The line where a screen says what it just did (wrapped; object name "result")."""
    label = QLabel()
    label.setObjectName("result")
    label.setWordWrap(True)
    return label


class Screen(QWidget):
    """A top-level screen. ``idle`` is emitted when its last background task has finished
    (tests wait on it; the screenshots script too)."""

    idle = Signal()
    title = "SEOM Desktop"

    def __init__(self, store: Store, workstation: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowTitle(f"SEOM Desktop - {self.title}[*]")
        self.store = store
        self.workstation = workstation
        self._busy = 0
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        error_title: str,
        *,
        on_error: Callable[[str], None] | None = None,
    ) -> workers.Task:
        """``fn()`` off the GUI thread; ``on_done(result)``, or an error dialog titled
        ``error_title`` (and ``on_error``) if it fails."""
        self._busy += 1

        def done(result: Any) -> None:
            if not isValid(self):  # the window was closed and deleted meanwhile
                return
            try:
                on_done(result)
            finally:
                self._finish()

        def failed(message: str) -> None:
            if not isValid(self):
                dialogs.show_error(None, error_title, message)
                return
            try:
                if on_error is not None:
                    on_error(message)
                dialogs.show_error(self, error_title, message)
            finally:
                self._finish()

        return workers.run_task(fn, done, failed, name=f"{type(self).__name__}: {error_title}")

    def start(self, task: workers.Task) -> workers.Task:
        """A long task built by the screen (progress, cancel); counted like :meth:`run`."""
        self._busy += 1
        task.done.connect(lambda _result: self._finish_if_alive())
        task.failed.connect(lambda _message: self._finish_if_alive())
        return workers.start(task)

    def _finish_if_alive(self) -> None:
        if isValid(self):
            self._finish()

    def _finish(self) -> None:
        self._busy -= 1
        if self._busy == 0:
            self.idle.emit()
