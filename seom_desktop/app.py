"""Composition root of the desktop application: arguments, the store, the stack controller,
the demo's sandbox carts and the Main Menu."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QDialog

from seom_desktop import config
from seom_desktop.demo import populate_demo, start_demo_carts, stop_demo_carts
from seom_desktop.errors import SeomError
from seom_desktop.sandbox import SandboxCart
from seom_desktop.store import Store, open_store
from seom_desktop.ui import dialogs, gc_guard, workers
from seom_desktop.ui.controller_thread import ControllerThread
from seom_desktop.ui.first_launch import FirstLaunch, needs_first_launch
from seom_desktop.ui.main_menu import MainMenu

log = logging.getLogger("seom_desktop.app")


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """A crash is logged with its traceback and shown to the clerk; the program goes on."""
    log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    dialogs.show_error(
        None,
        "Unexpected error",
        f"{kind.__name__}: {value}\n\nThe details were written to the log.",
    )


def _log_to_file() -> None:
    """The application's log file (crashes, failed tasks, the controller's events)."""
    folder = config.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(folder / "seom-desktop.log", encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the log file in %s: %s", folder, exc)
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
        for other in root.handlers:
            if other is not handler and other.level == logging.NOTSET:
                other.setLevel(logging.WARNING)


class Session:
    """What runs while the Main Menu is open; :meth:`close` stops it all in order."""

    def __init__(self) -> None:
        self.store: Store | None = None
        self.controller: ControllerThread | None = None
        self.sandboxes: list[SandboxCart] = []

    def start(self, store: Store, workstation: str) -> ControllerThread:
        """Demo carts (for the demo store), then this PC's stack controller."""
        self.store = store
        if store.display_name == str(config.default_store_path()):
            populate_demo(store, workstation)
            try:
                self.sandboxes = start_demo_carts(store)
            except (OSError, SeomError) as exc:
                log.exception("cannot start the demo carts")
                dialogs.show_error(
                    None,
                    "Cannot start the demo carts",
                    f"{exc}\n\nThe demo store opens without its sandbox carts.",
                )
        self.controller = ControllerThread(store, workstation)
        self.controller.start()
        return self.controller

    def close(self) -> None:
        if self.controller is not None:
            self.controller.stop()
        workers.wait_for_all()
        stop_demo_carts(self.sandboxes)
        if self.store is not None:
            self.store.close()


def main(store: str | None = None, workstation: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    gc_guard.install()  # garbage holding Qt objects is collected on this thread only
    app.setApplicationName("SEOM Desktop")
    sys.excepthook = _excepthook
    _log_to_file()
    session = Session()
    try:
        if needs_first_launch(workstation, store):
            first = FirstLaunch(start_controller=session.start)
            if first.exec() != QDialog.DialogCode.Accepted or first.store is None:
                return 0
            name = first.workstation
        else:
            name = config.resolve_workstation(workstation)
            location = config.resolve_store(store)
            is_default = location == str(config.default_store_path())
            try:
                opened = open_store(location, create=is_default)
                opened.register_workstation(name)
            except SeomError as exc:
                dialogs.show_error(
                    None,
                    "Cannot open the store",
                    f"{exc}\n\nStart SEOM Desktop with --store to choose another store.",
                )
                return 1
            session.start(opened, name)
        assert session.store is not None
        window = MainMenu(session.store, name, controller=session.controller)
        window.show()
        return app.exec()
    finally:
        session.close()
