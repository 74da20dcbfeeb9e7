"""Every error, information and confirmation dialog goes through here, so tests can drive or
silence them (and every message says what happened and what to do)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

log = logging.getLogger("seom_desktop.ui")

# Tests replace this hook to see (and answer) dialogs without a modal event loop.
# kind is "error", "warning", "info" or "confirm"; the answer matters for "confirm" only.
DialogHook = Callable[[str, str, str], bool]
_hook: DialogHook | None = None

# Tests replace this hook to answer file dialogs: (title, suggested path) -> path or None.
PathHook = Callable[[str, str], str | None]
_path_hook: PathHook | None = None


def set_hook(hook: DialogHook | None) -> None:
    global _hook  # noqa: PLW0603 - one process-wide hook, by design
    _hook = hook


def set_path_hook(hook: PathHook | None) -> None:
    global _path_hook  # noqa: PLW0603 - one process-wide hook, by design
    _path_hook = hook


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """Tell the clerk what happened and what to do."""
    log.warning("%s: %s", title, message)
    if _hook is not None:
        _hook("error", title, message)
        return
    QMessageBox.critical(parent, title, message)


def show_info(parent: QWidget | None, title: str, message: str) -> None:
    if _hook is not None:
        _hook("info", title, message)
        return
    QMessageBox.information(parent, title, message)


def confirm(parent: QWidget | None, title: str, message: str) -> bool:
    if _hook is not None:
        return _hook("confirm", title, message)
    answer = QMessageBox.question(parent, title, message)
    return answer == QMessageBox.StandardButton.Yes


def ask_save_path(
    parent: QWidget | None, title: str, suggested: str, filters: str = "CSV files (*.csv)"
) -> str | None:
    """A file name to save to, or None when the clerk cancelled."""
    if _path_hook is not None:
        return _path_hook(title, suggested)
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


def ask_open_path(
    parent: QWidget | None, title: str, suggested: str, filters: str = "Store files (*.seom)"
) -> str | None:
    if _path_hook is not None:
        return _path_hook(title, suggested)
    path, _ = QFileDialog.getOpenFileName(parent, title, suggested, filters)
    return path or None
