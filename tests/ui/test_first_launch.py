"""First launch: name the PC, choose or create the store, see who sends the stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from seom_desktop import config
from seom_desktop.store import Store, open_store, params
from seom_desktop.ui import workers
from seom_desktop.ui.controller_thread import ControllerThread
from seom_desktop.ui.first_launch import FirstLaunch, needs_first_launch
from tests.ui.conftest import Dialogs


@pytest.fixture
def started() -> Iterator[list[ControllerThread]]:
    threads: list[ControllerThread] = []
    yield threads
    for thread in threads:
        thread.stop()
    workers.wait_for_all()
    for thread in threads:
        thread.controller.store.close()


def _start(threads: list[ControllerThread]):  # type: ignore[no-untyped-def]
    def start(store: Store, name: str) -> ControllerThread:
        thread = ControllerThread(store, name)
        threads.append(thread)
        thread.start()
        return thread

    return start


def test_a_new_pc_creates_its_store_and_runs_a_local_stack(
    qtbot: QtBot, tmp_path: Path, started: list[ControllerThread], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEOM_WORKSTATION")
    assert needs_first_launch(None, None)
    dialog = FirstLaunch(start_controller=_start(started))
    qtbot.addWidget(dialog)
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "FRONT-DESK")
    dialog.store_edit.clear()
    location = str(tmp_path / "shop.seom")
    qtbot.keyClicks(dialog.store_edit, location)
    with qtbot.waitSignal(dialog.controller_shown, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert "local" in blocker.args[0]
    assert dialog.pages.currentIndex() == 1
    assert dialog.store is not None and dialog.workstation == "FRONT-DESK"
    saved = config.WorkstationConfig.load()
    assert (saved.name, saved.store) == ("FRONT-DESK", location)
    assert not needs_first_launch(None, None)
    assert "FRONT-DESK" in dialog.store.workstations()


def test_shared_mode_says_whether_this_pc_was_elected(
    qtbot: QtBot, tmp_path: Path, started: list[ControllerThread]
) -> None:
    location = str(tmp_path / "shared.seom")
    with open_store(location, create=True) as first_store, first_store.write() as session:
        params.set_value(session, "SharedStackController", True)
    dialog = FirstLaunch(start_controller=_start(started))
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("BACK-OFFICE")
    dialog.store_edit.setText(location)
    dialog.create_box.setChecked(False)
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "elected" in dialog.controller_label.text(), timeout=15_000)
    assert "this PC was elected the shared stack controller" in dialog.controller_label.text()


def test_a_store_that_cannot_be_opened_is_explained(
    qtbot: QtBot, tmp_path: Path, shown: Dialogs
) -> None:
    dialog = FirstLaunch()
    qtbot.addWidget(dialog)
    dialog.store_edit.setText(str(tmp_path / "missing" / "nothing.seom"))
    dialog.create_box.setChecked(False)
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown.errors()), timeout=10_000)
    assert shown.seen[0][1] == "Cannot open the store"
    assert dialog.pages.currentIndex() == 0
    dialog.name_edit.clear()
    qtbot.mouseClick(dialog.continue_button, Qt.MouseButton.LeftButton)
    assert "name" in dialog.setup_message.text()
