"""The headless stack controller: `seom-desktop controller [--shared] [--once]`.

Runs the engine on the main thread until SIGTERM or Ctrl+C, which let the send in flight
finish (its outcome is recorded) before the lease is released and the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from seom_desktop.stack.engine import Event, StackController
from seom_desktop.stack.wakeup import StackWatcher
from seom_desktop.store import Store

log = logging.getLogger("seom_desktop.stack.service")


def _log_event(event: Event) -> None:
    if event.kind == "sent":
        log.info("sent %d change(s) to %s (%s)", event.rows, event.cart, event.message)
    elif event.kind == "lease":
        log.info("%s", event.message)
    elif event.cart:
        log.warning("%s: %s (%d rows): %s", event.kind, event.cart, event.rows, event.message)
    else:
        log.warning("%s: %s", event.kind, event.message)


def run_controller(
    store: Store,
    workstation: str,
    *,
    shared: bool = False,
    once: bool = False,
    max_wait: float = 60.0,
    stop: threading.Event | None = None,
) -> int:
    """Returns the exit status: 0, or (``--once``) 1 when rows are still pending."""
    controller = StackController(store, workstation, on_event=_log_event, require_shared=shared)
    if once:
        left = controller.run_once(max_wait=max_wait)
        if left:
            log.warning("%d change(s) still pending after %.0f s", left, max_wait)
        return 0 if left == 0 else 1
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping (%s): finishing the send in flight", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("stack controller started on %s for store %s", workstation, store.display_name)
        controller.run(stop, watcher=StackWatcher(store))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stack controller stopped")
    return 0
