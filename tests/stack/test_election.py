"""Election and failover between real controller processes on two workstations."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.stack import lease
from seom_desktop.store import Store, params
from tests.shops import Shop


def start(shop: Shop, workstation: str) -> subprocess.Popen[bytes]:
    url = shop.store.url
    location = str(url.database) if shop.store.is_sqlite else url.render_as_string(False)
    return subprocess.Popen(
        [sys.executable, "-m", "seom_desktop", "--workstation", workstation, "controller"],
        env={**os.environ, "SEOM_STORE": location},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def holder(store: Store) -> str | None:
    with store.read() as session:
        state = lease.lease_state(session, lease.SHARED)
    return state.holder_workstation if state.holder_token else None


def wait_for(condition: Callable[[], bool], seconds: float) -> float:
    """Seconds it took for ``condition`` to hold (fails after ``seconds``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "condition not reached in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_the_first_pc_is_elected_another_takes_over_and_the_first_does_not_steal_back(
    shop_factory: Any,
) -> None:
    shop: Shop = shop_factory({"A1": 10}, {"Shop": "shopify"})
    with shop.store.write() as session:
        params.set_value(session, "SharedStackController", True)
        params.set_value(session, "StackFailoverSeconds", 3)
    first = start(shop, "PC-1")
    second = None
    try:
        wait_for(lambda: holder(shop.store) == "PC-1", 30)
        second = start(shop, "PC-2")
        time.sleep(1.5)  # PC-2 is running and heartbeating, but PC-1 holds the lease
        assert holder(shop.store) == "PC-1"

        first.send_signal(signal.SIGKILL)  # a power cut on PC-1
        first.wait(10)
        # Takes over within the documented bound (30 s at most; 3 s + a pass configured here).
        wait_for(lambda: holder(shop.store) == "PC-2", 30)

        with shop.store.write() as session:
            apply_change(session, QohChange("A1", Source.POS_SALE, delta=-4), "PC-1")
        wait_for(lambda: shop.cart_qoh("Shop") == {"A1": 6}, 30)

        first = start(shop, "PC-1")  # PC-1 comes back
        time.sleep(2.5)
        assert holder(shop.store) == "PC-2"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
