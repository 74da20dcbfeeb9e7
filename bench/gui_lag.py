"""GUI lag: how late a 10 ms QTimer fires while the screens do heavy work.

    QT_QPA_PLATFORM=offscreen python -m bench.gui_lag [--skus 100000]

(a) Send QOH of N SKUs from the Advanced Cart Functions screen to a generic sandbox cart in
    this process (batches of 50, the default "Maximum number of items to send");
(b) Get QOH of the same N SKUs back from that cart after a stock take there (every quantity
    differs, so every product is written to the store with its ledger row);
(c) the Stack Controller screen showing N web-stack rows (scrolled to the end page by page
    until every row is loaded, with its live refresh running).

The sandbox cart's catalogue is frozen out of the garbage collector (gc.freeze) before the
runs: in the application the cart is another machine, not 100,000 objects in this process.
A 10 ms repeating timer records, at every firing, how much later than due it fired (the
GUI thread was busy or waiting that long). Writes bench/results/gui_lag.json with the max and
p99 stall per scenario in ms; the goal is never above 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import requests
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import insert, select

from bench.common import percentiles, write_result
from seom_desktop.sandbox import start_sandbox
from seom_desktop.store import Store, open_store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Cart, LedgerEntry, Product, StackRow, utcnow
from seom_desktop.ui import dialogs, gc_guard, workers
from seom_desktop.ui.advanced_cart_functions import AdvancedCartFunctions
from seom_desktop.ui.stack_viewer import StackViewer

PC = "BENCH-PC"
INTERVAL_MS = 10


class LagProbe:
    """A repeating timer; each firing records its lateness in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self.samples.clear()
        self._clock.start()
        self._last = 0
        self._timer.start()

    def _tick(self) -> None:
        now = self._clock.elapsed()
        if self._last:
            self.samples.append(max(0.0, float(now - self._last - INTERVAL_MS)))
        self._last = now

    def stop(self) -> dict[str, Any]:
        self._timer.stop()
        stats = percentiles(self.samples)
        return {
            "max_stall_ms": stats.get("max", 0.0),
            "p99_stall_ms": stats.get("p99", 0.0),
            "p50_stall_ms": stats.get("p50", 0.0),
            "timer_firings": len(self.samples),
            "stalls_over_100ms": sum(1 for s in self.samples if s > 100),
        }


def wait_until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not finish in time")
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def seed_products(store: Store, n: int) -> dict[str, int | None]:
    catalog: dict[str, int | None] = {f"SKU{i:07d}": (i * 7) % 50 for i in range(n)}
    rows = [{"sku": sku, "name": f"Product {sku}", "qoh": 0} for sku in catalog]
    with store.write() as session:
        for start in range(0, n, 10_000):
            session.execute(insert(Product), rows[start : start + 10_000])
    return catalog


def seed_stack(store: Store, n: int) -> None:
    """N pending web-stack rows (with their ledger rows) from this PC, in bulk."""
    now = utcnow()
    with store.write() as session:
        cart_id = session.scalar(select(Cart.id))
        products = session.execute(select(Product.id, Product.sku).order_by(Product.id)).all()
        ledger = [
            {
                "created_at": now,
                "workstation": PC,
                "product_id": pid,
                "sku": sku,
                "source": "POS sale",
                "reason": "",
                "send_to_web": True,
                "qoh_before": 0,
                "delta": -1,
                "qoh_after": -1,
            }
            for pid, sku in products[:n]
        ]
        for start in range(0, len(ledger), 10_000):
            session.execute(insert(LedgerEntry), ledger[start : start + 10_000])
        ids = session.execute(
            select(LedgerEntry.id, LedgerEntry.product_id, LedgerEntry.sku).where(
                LedgerEntry.workstation == PC, LedgerEntry.source == "POS sale"
            )
        ).all()
        stack = [
            {
                "cart_id": cart_id,
                "product_id": pid,
                "cart_sku": sku,
                "delta": -1,
                "ledger_id": lid,
                "origin_workstation": PC,
                "created_at": now,
                "attempts": 0,
                "last_response": "",
                "status": "pending",
                "idempotency_key": uuid.uuid4().hex,
            }
            for lid, pid, sku in ids
        ]
        for start in range(0, len(stack), 10_000):
            session.execute(insert(StackRow), stack[start : start + 10_000])


def qoh_scenario(store: Store, n: int, probe: LagProbe, *, get: bool = False) -> dict[str, Any]:
    screen = AdvancedCartFunctions(store, PC)
    screen.show()
    done: list[str] = []
    screen.finished.connect(done.append)
    probe.start()
    started = time.monotonic()
    (screen.get_button if get else screen.send_button).click()
    wait_until(lambda: bool(done), timeout=1800)
    elapsed = time.monotonic() - started
    result = probe.stop()
    result.update(
        {
            "skus": n,
            "max_items_per_send": screen.max_items.value(),
            "seconds": round(elapsed, 1),
            "summary": done[0],
        }
    )
    screen.close()
    screen.deleteLater()
    return result


def stack_scenario(store: Store, n: int, probe: LagProbe) -> dict[str, Any]:
    probe.start()
    started = time.monotonic()
    viewer = StackViewer(store, PC)
    viewer.show()

    def scrolled_to_end() -> bool:
        if not viewer.model.loading and viewer.model.canFetchMore():
            viewer.view.scrollToBottom()
        return viewer.model.exhausted and len(viewer.model.rows) >= n

    wait_until(scrolled_to_end, timeout=900)
    loaded = time.monotonic() - started
    refreshes: list[int] = []
    viewer.refreshed.connect(lambda: refreshes.append(1))
    wait_until(lambda: len(refreshes) >= 3, timeout=60)  # live refresh with N rows shown
    result = probe.stop()
    result.update(
        {
            "rows": len(viewer.model.rows),
            "seconds_to_load_all_rows": round(loaded, 1),
            "refreshes_measured": len(refreshes),
        }
    )
    viewer.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GUI lag probe")
    parser.add_argument("--skus", type=int, default=100_000)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    gc_guard.install()  # as the application does: garbage collected on the GUI thread only
    dialogs.set_hook(lambda kind, title, message: True)
    probe = LagProbe()
    with tempfile.TemporaryDirectory(prefix="seom-guilag") as tmp:
        os.environ["SEOM_HOME"] = tmp
        store = open_store(str(Path(tmp) / "bench.seom"), create=True)
        store.register_workstation(PC)
        catalog = seed_products(store, args.skus)
        cart = start_sandbox("generic", catalog=catalog)
        try:
            with store.write() as session:
                cart_records.add_cart(
                    session,
                    "Bench",
                    "generic",
                    cart.url + "/seom.php",
                    username="seom",
                    secret="seom-sandbox",
                )
            # The sandbox cart's 100,000 items live in this process only because the bench
            # runs the cart in-process; in the application the cart is another machine. Take
            # them (and the seed data) out of the garbage collector's full collections.
            gc.collect()
            gc.freeze()
            send = qoh_scenario(store, args.skus, probe)
            print("send QOH:", send, flush=True)
            taken = {sku: (i * 11) % 60 + 1 for i, sku in enumerate(catalog)}
            requests.post(f"{cart.url}/_sandbox/inventory", json=taken, timeout=120)
            del taken
            gc.collect()
            gc.freeze()
            get = qoh_scenario(store, args.skus, probe, get=True)
            print("get QOH:", get, flush=True)
            seed_stack(store, args.skus)
            gc.collect()
            gc.freeze()
            stack = stack_scenario(store, args.skus, probe)
            print("stack controller:", stack, flush=True)
        finally:
            workers.wait_for_all()
            cart.stop()
            store.close()
    path = write_result(
        "gui_lag",
        {
            "interval_ms": INTERVAL_MS,
            "goal_ms": 100,
            "send_qoh_from_advanced_cart_functions": send,
            "get_qoh_from_advanced_cart_functions": get,
            "stack_controller_with_all_rows_shown": stack,
        },
    )
    print(f"wrote {path}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
