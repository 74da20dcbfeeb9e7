"""Set System Parameters: groups, a fitting editor per type, Save validates, Close."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QSpinBox
from pytestqt.qtbot import QtBot

from seom_desktop.store import Store, params
from seom_desktop.ui.system_parameters import SystemParameters
from tests.ui.conftest import Dialogs


def _screen(qtbot: QtBot, store: Store) -> SystemParameters:
    screen = SystemParameters(store, "TEST-PC")
    qtbot.addWidget(screen)
    return screen


def test_synchqoh_is_set_in_the_program_group(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    screen = _screen(qtbot, store)
    groups = [screen.groups.item(i).text() for i in range(screen.groups.count())]
    assert groups[0] == "Program" and "Stack Controller" in groups
    assert screen.table.item(0, 0).text() == "SynchQOH"
    assert screen.table.item(0, 1).text() == "FALSE"
    assert "real time" in screen.table.item(0, 2).text()
    editor = screen.editor_widget()
    assert isinstance(editor, QComboBox)
    editor.setFocus()
    editor.setCurrentText("TRUE")
    assert screen.table.item(0, 1).text() == "TRUE"
    assert screen.isWindowModified()
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    with store.read() as session:
        assert params.get(session, "SynchQOH") is True
    assert not screen.isWindowModified()
    assert shown.seen == []


def test_each_type_gets_a_fitting_editor(qtbot: QtBot, store: Store, shown: Dialogs) -> None:
    screen = _screen(qtbot, store)
    screen.select_parameter("StackMaxAttempts")
    spin = screen.editor_widget()
    assert isinstance(spin, QSpinBox)
    assert (spin.minimum(), spin.maximum(), spin.value()) == (1, 1000, 10)
    spin.clear()
    qtbot.keyClicks(spin, "5000")  # out of range: the spin box refuses it in place
    assert spin.value() <= 1000
    spin.setValue(12)
    screen.select_parameter("StackControllerWorkstation")
    text = screen.editor_widget()
    assert isinstance(text, QLineEdit)
    qtbot.keyClicks(text, "BACK-OFFICE")
    screen.select_parameter("QOHReason")
    reasons = screen.editor_widget()
    assert isinstance(reasons, QPlainTextEdit)
    reasons.setPlainText("Count\nBroken")
    with qtbot.waitSignal(screen.saved, timeout=5000):
        qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    with store.read() as session:
        assert params.get(session, "StackMaxAttempts") == 12
        assert params.get(session, "StackControllerWorkstation") == "BACK-OFFICE"
        assert params.get(session, "QOHReason") == ["Count", "Broken"]


def test_save_refuses_an_invalid_value_and_keeps_it_for_correction(
    qtbot: QtBot, store: Store, shown: Dialogs
) -> None:
    screen = _screen(qtbot, store)
    screen.select_parameter("QOHReason")
    reasons = screen.editor_widget()
    assert isinstance(reasons, QPlainTextEdit)
    reasons.setPlainText("Count\ncount")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown.errors()), timeout=5000)
    assert "QOHReason lists the same entry twice" in shown.errors()[0]
    with store.read() as session:
        assert params.get(session, "QOHReason")[0] == "Physical count"
    assert "QOHReason" in screen.pending
    shown.answers = [False]
    screen.show()
    screen.close()
    assert screen.isVisible()  # unsaved: the clerk said no
