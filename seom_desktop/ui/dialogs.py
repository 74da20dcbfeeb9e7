"""Every error and confirmation dialog goes through here, so tests can drive or silence them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("seom_desktop.ui")

# Tests replace this hook to see (and answer) dialogs without a modal event loop.
DialogHook = Callable[[str, str, str], bool]
_hook: DialogHook | None = None


def set_hook(hook: DialogHook | None) -> None:
    global _hook  # noqa: PLW0603 - one process-wide hook, by design
    _hook = hook


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """Tell the clerk what happened and what to do."""
    log.warning("%s: %s", title, message)
    if _hook is not None:
        _hook("error", title, message)
        return
    QMessageBox.critical(parent, title, message)


def confirm(parent: QWidget | None, title: str, message: str) -> bool:
    if _hook is not None:
        return _hook("confirm", title, message)
    answer = QMessageBox.question(parent, title, message)
    return answer == QMessageBox.StandardButton.Yes
