"""Garbage is collected on the GUI thread only (ui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from pytestqt.qtbot import QtBot

from seom_desktop.ui import gc_guard


class Cycle:
    def __init__(self, collected_on: list[str]) -> None:
        self.me = self
        self.collected_on = collected_on

    def __del__(self) -> None:
        self.collected_on.append(threading.current_thread().name)


def test_garbage_made_on_a_worker_is_collected_on_the_gui_thread(qtbot: QtBot, qapp: Any) -> None:
    guard = gc_guard.install()
    assert not gc.isenabled()
    collected_on: list[str] = []

    def worker() -> None:
        for _ in range(200):
            Cycle(collected_on)
        for _ in range(50_000):  # far past the young generation's threshold
            [[]]  # noqa: B018 - allocations that would trigger a collection on this thread

    thread = threading.Thread(target=worker, name="worker")
    thread.start()
    thread.join()
    assert collected_on == []  # nothing was collected on the worker
    saved, guard.thresholds = guard.thresholds, (1, 1, 1)  # make the next tick collect
    try:
        qtbot.waitUntil(lambda: len(collected_on) == 200, timeout=5000)
    finally:
        guard.thresholds = saved
    assert set(collected_on) == {threading.main_thread().name}
