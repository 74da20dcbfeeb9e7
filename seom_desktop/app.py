"""Composition root of the desktop application: arguments, the store, the main window."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication

from seom_desktop import config
from seom_desktop.demo import populate_demo
from seom_desktop.errors import SeomError
from seom_desktop.store import open_store
from seom_desktop.ui import dialogs
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


def main(store: str | None = None, workstation: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("SEOM Desktop")
    sys.excepthook = _excepthook
    name = config.resolve_workstation(workstation)
    location = config.resolve_store(store)
    is_default = location == str(config.default_store_path())
    try:
        opened = open_store(location, create=is_default)
        opened.register_workstation(name)
        if is_default:
            populate_demo(opened, name)
    except SeomError as exc:
        dialogs.show_error(None, "Cannot open the store", str(exc))
        return 1
    window = MainMenu(opened, name)
    window.show()
    try:
        return app.exec()
    finally:
        opened.close()
