"""Running a callable off the GUI thread and hearing of it through signals.

``run_task(fn, on_done, on_error)`` runs ``fn()`` on the screens' thread pool; its result
(plain data: dataclasses, lists, numbers) comes back to ``on_done`` on the GUI thread. A
failure is logged with its traceback and handed to ``on_error`` as a message for the clerk
(a :class:`~seom_desktop.errors.SeomError`'s own sentence, else the exception's type and
text). Long runs take a :class:`Task` argument to report progress and to check for Cancel.

The callable must open its own ``with store.read()/write()``: a SQLAlchemy Session is never
shared across threads, and no widget may be touched from the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from seom_desktop.errors import SeomError

log = logging.getLogger("seom_desktop.ui.workers")

_pool: QThreadPool | None = None
_running: set[Task] = set()


def pool() -> QThreadPool:
    """The screens' own pool (the global one is left to Qt)."""
    global _pool  # noqa: PLW0603 - one pool per process, created on first use
    if _pool is None:
        _pool = QThreadPool()
        _pool.setObjectName("seom-screens")
        _pool.setMaxThreadCount(4)
    return _pool


def busy() -> bool:
    """Some task is running on the pool."""
    return bool(_running)


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Wait for every running task (on exit, and between tests)."""
    return pool().waitForDone(timeout_ms)


class Task(QObject):
    """One call off the GUI thread. Signals are delivered on the GUI thread."""

    done = Signal(object)
    failed = Signal(str)
    progress = Signal(int, int)
    """done, total (-1 when unknown)"""

    def __init__(self, fn: Callable[[Task], Any], name: str = "task") -> None:
        super().__init__()
        self.setObjectName(name)
        self._fn = fn
        self._cancel = threading.Event()
        self.finished = False

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int | None) -> None:
        """Progress from the worker (safe from any thread)."""
        self.progress.emit(done, -1 if total is None else total)

    def _run(self) -> None:
        try:
            result = self._fn(self)
        except SeomError as exc:
            log.info("%s: %s", self.objectName(), exc)
            self.failed.emit(str(exc))
        except Exception as exc:  # logged with its traceback, shown to the clerk
            log.exception("%s failed", self.objectName())
            self.failed.emit(f"{type(exc).__name__}: {exc}\n\nThe details were written to the log.")
        else:
            self.done.emit(result)

    def _forget(self, *_args: object) -> None:
        self.finished = True
        _running.discard(self)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task

    def run(self) -> None:
        self.task._run()


def start(task: Task) -> Task:
    _running.add(task)  # kept alive until its result has been delivered
    task.done.connect(task._forget)
    task.failed.connect(task._forget)
    pool().start(_Runnable(task))
    return task


def run_task(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str], None],
    name: str = "task",
) -> Task:
    """Run ``fn()`` off the GUI thread; ``on_done(result)`` or ``on_error(message)`` after."""
    task = Task(lambda _task: fn(), name)
    task.done.connect(on_done)
    task.failed.connect(on_error)
    return start(task)
