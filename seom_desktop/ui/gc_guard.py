"""Python's cyclic garbage collector, run on the GUI thread only.

CPython runs a collection on whichever thread happens to allocate past the threshold. When that
is a worker thread and the garbage holds Qt wrappers (a closed screen, a lambda connected to a
signal), their C++ objects are destroyed off the GUI thread, which crashes Qt (seen as a
segfault in "Garbage-collecting" on a worker, during a store query). So automatic collection is
turned off and a timer on the GUI thread collects instead, with the same thresholds: the young
generations as often as CPython would (cheap), the oldest at most every ``full_every`` seconds
(CPython also holds full collections back while few objects are new; we cannot see that count)
and not while a worker task runs (a full collection walks every object and would stall the
screen mid-run), unless it has waited ``full_every_at_most`` seconds.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

from seom_desktop.ui import workers

_guard: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    def __init__(
        self, interval_ms: int = 200, full_every: float = 30.0, full_every_at_most: float = 300.0
    ) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.full_every = full_every
        self.full_every_at_most = full_every_at_most
        self._last_full = time.monotonic()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as CPython would."""
        counts = gc.get_count()
        generation = -1
        for index, (count, threshold) in enumerate(zip(counts, self.thresholds, strict=True)):
            if count > threshold:
                generation = index
        if generation == 2:
            waited = time.monotonic() - self._last_full
            if waited < self.full_every or (workers.busy() and waited < self.full_every_at_most):
                generation = 1
        if generation == 2:
            self._last_full = time.monotonic()
        if generation >= 0:
            gc.collect(generation)


def install(interval_ms: int = 200) -> GuiThreadCollector:
    """Once per process, after the QApplication exists."""
    global _guard  # noqa: PLW0603 - one collector per process
    if _guard is None:
        _guard = GuiThreadCollector(interval_ms)
    return _guard
