"""Waking the stack controller as soon as a change is committed, on any workstation.

* SQLite: a thread keeps one connection of its own and polls ``PRAGMA data_version`` every
  ``interval`` (20 ms by default). The value changes whenever *another* connection commits to
  the file, including other processes on other PCs sharing it. The pragma reads a counter in
  the file header: no table is read and no lock is held past the call.
* PostgreSQL: ``apply_change`` issues ``NOTIFY seom_stack`` when it writes stack rows; a thread
  LISTENs on a connection of its own, so delivery follows the commit within milliseconds.

Either way the controller's ``wake`` event is set and it looks at the stack at once; its
regular pass (every second) remains the fallback, so a missed wake-up only costs latency.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from seom_desktop.store import Store

log = logging.getLogger("seom_desktop.stack.wakeup")

CHANNEL = "seom_stack"  # also used by inventory.changes (NOTIFY)


class StackWatcher:
    def __init__(self, store: Store, interval: float = 0.02) -> None:
        self.store = store
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, wake: threading.Event) -> None:
        target = self._watch_sqlite if self.store.is_sqlite else self._watch_postgres
        self._thread = threading.Thread(
            target=target, args=(wake,), name="seom-stack-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch_sqlite(self, wake: threading.Event) -> None:
        path = str(self.store.url.database)
        conn = sqlite3.connect(path, timeout=1.0, isolation_level=None, check_same_thread=False)
        try:
            last = None
            while not self._stop.is_set():
                try:
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                except sqlite3.OperationalError as exc:  # busy for a moment: try again
                    log.debug("data_version: %s", exc)
                    version = last
                if last is not None and version != last:
                    wake.set()
                last = version
                self._stop.wait(self.interval)
        finally:
            conn.close()

    def _watch_postgres(self, wake: threading.Event) -> None:
        import psycopg

        url = self.store.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            wake.set()
            except psycopg.Error as exc:
                log.warning("stack notifications lost, reconnecting: %s", exc)
                self._stop.wait(1.0)
