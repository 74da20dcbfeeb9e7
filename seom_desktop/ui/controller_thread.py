"""The stack controller inside the desktop application: the Qt-free engine on a QThread.

The worker only wraps :class:`~seom_desktop.stack.engine.StackController`: it runs the engine's
loop on its own thread and turns the engine's events into a signal carrying plain data, so no
widget is ever touched from that thread and the clerk's screens never wait on a cart.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QThread, Signal

from seom_desktop.stack.engine import Event, StackController
from seom_desktop.stack.wakeup import StackWatcher
from seom_desktop.store import Store

log = logging.getLogger("seom_desktop.ui.controller")


class ControllerThread(QThread):
    """Runs the stack controller for this workstation until :meth:`stop`."""

    stack_event = Signal(str, str, int, str)
    """kind, cart, rows, message (see stack.engine.Event)."""
    failed = Signal(str)

    def __init__(self, store: Store, workstation: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StackControllerThread")
        self._stop = threading.Event()
        self.controller = StackController(store, workstation, on_event=self._forward)
        self._watcher = StackWatcher(store)

    def _forward(self, event: Event) -> None:
        self.stack_event.emit(event.kind, event.cart, event.rows, event.message)

    def run(self) -> None:
        try:
            self.controller.run(self._stop, watcher=self._watcher)
        except Exception as exc:  # shown to the clerk, logged with its traceback
            log.exception("the stack controller stopped")
            self.failed.emit(f"{type(exc).__name__}: {exc}")

    def stop(self, timeout_ms: int = 30_000) -> None:
        """Ask the controller to finish the send in flight and stop; wait for it."""
        self._stop.set()
        self.controller.wake.set()
        self.wait(timeout_ms)
