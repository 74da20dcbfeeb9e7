"""Work off the GUI thread: results and failures come back as signals."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from seom_desktop.errors import InputError
from seom_desktop.ui import workers


def test_a_result_comes_back_on_the_gui_thread(qtbot: QtBot) -> None:
    seen: list[tuple[object, bool]] = []
    gui = threading.current_thread()
    task = workers.run_task(
        lambda: threading.current_thread() is not gui,
        lambda result: seen.append((result, threading.current_thread() is gui)),
        lambda message: seen.append((message, False)),
    )
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert seen == [(True, True)]


def test_a_failure_is_logged_with_its_traceback(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[str] = []

    def boom() -> None:
        raise ZeroDivisionError("no")

    task = workers.run_task(boom, lambda _r: None, messages.append, name="boom")
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert messages == ["ZeroDivisionError: no\n\nThe details were written to the log."]
    assert "Traceback" in caplog.text

    def refused() -> None:
        raise InputError("that SKU does not exist")

    task = workers.run_task(refused, lambda _r: None, messages.append)
    qtbot.waitUntil(lambda: task.finished, timeout=5000)
    assert messages[-1] == "that SKU does not exist"


def test_progress_and_cancel(qtbot: QtBot) -> None:
    progress: list[tuple[int, int]] = []

    def work(task: workers.Task) -> int:
        done = 0
        while not task.cancelled() and done < 1000:
            done += 1
            task.report(done, None)
            if done == 3:
                started.set()
            threading.Event().wait(0.001)
        return done

    started = threading.Event()
    task = workers.Task(work)
    task.progress.connect(lambda d, t: progress.append((d, t)))
    with qtbot.waitSignal(task.done, timeout=10_000) as blocker:
        workers.start(task)
        assert started.wait(5)
        task.cancel()
    assert blocker.args[0] < 1000
    assert progress[0] == (1, -1)
