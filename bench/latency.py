"""Propagation latency: from a committed QOH change to the cart having confirmed it.

Two workstation processes make changes at a steady total rate (20 changes/s by default) on one
store with 3 synchronized sandbox carts (Shopify, generic, WooCommerce), while one shared stack
controller process sends. Latency per stack row = the time the cart's confirmation was
recorded (``sent_at``) minus the time the change was made (``created_at``): an upper bound of
"commit to applied", since the cart applied it before it answered.

Then a burst: 50,000 rows over 5,000 SKUs for one Shopify cart, drained by one controller:
the number of requests (coalescing) and the drain time.

    .venv/bin/python -m bench.latency [--seconds 30] [--rate 20] [--burst-rows 50000]

Writes bench/results/latency.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from bench.common import percentiles, write_result
from seom_desktop.inventory import products
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.sandbox import start_sandbox
from seom_desktop.stack.engine import StackController
from seom_desktop.store import carts as cart_records
from seom_desktop.store import open_store, params
from seom_desktop.store.models import Cart, StackRow, StackSend, StackStatus, as_utc, utcnow

CARTS = {
    "Shop": (
        "shopify",
        "sandbox-shop",
        "shpat_sandbox_0123456789abcdef",
        "",
        {"cost_limit": False},
    ),
    "Gen": ("generic", "seom", "seom-sandbox", "/seom.php", {}),
    "Woo": (
        "woocommerce",
        "ck_sandbox0123456789abcdef0123456789abcdef",
        "cs_sandbox0123456789abcdef0123456789abcdef",
        "",
        {},
    ),
}


def workstation(location: str, name: str, rate: float, seconds: float, skus: list[str]) -> int:
    rng = random.Random(name)
    made = 0
    interval = 1.0 / rate
    with open_store(location) as store:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            with store.write() as session:
                apply_change(
                    session,
                    QohChange(rng.choice(skus), Source.POS_SALE, delta=-1),
                    name,
                )
            made += 1
            next_at = start + made * interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
    return made


def latency_run(folder: Path, seconds: float, rate: float) -> dict[str, Any]:
    location = str(folder / "latency.seom")
    skus = [f"L-{i:03d}" for i in range(200)]
    sandboxes = {}
    with open_store(location, create=True) as store:
        with store.write() as session:
            params.set_value(session, "SynchQOH", True)
            params.set_value(session, "SharedStackController", True)
            for sku in skus:
                products.add_product(session, sku, "BENCH", qoh=100_000)
        for name, (platform, user, secret, path, options) in CARTS.items():
            cart = start_sandbox(platform, catalog=dict.fromkeys(skus, 100_000), **options)
            sandboxes[name] = cart
            with store.write() as session:
                cart_records.add_cart(
                    session, name, platform, cart.url + path, username=user, secret=secret
                )
                cart_records.set_sync(session, name, True)
    env = {**os.environ, "SEOM_STORE": location}
    controller = subprocess.Popen(
        [sys.executable, "-m", "seom_desktop", "--workstation", "SERVER", "controller", "--shared"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2.0)  # the controller starts and takes the lease
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(2) as pool:
            made = pool.starmap(
                workstation,
                [(location, f"PC-{n}", rate / 2, seconds, skus) for n in (1, 2)],
            )
        deadline = time.time() + 60
        with open_store(location) as store:
            while time.time() < deadline:
                with store.read() as session:
                    left = session.scalar(
                        select(func.count())
                        .select_from(StackRow)
                        .where(StackRow.status == StackStatus.PENDING.value)
                    )
                if not left:
                    break
                time.sleep(0.2)
            with store.read() as session:
                rows = session.execute(
                    select(StackRow.created_at, StackRow.sent_at, StackRow.cart_id).where(
                        StackRow.status == StackStatus.SENT.value
                    )
                ).all()
                phases = session.execute(
                    select(StackRow.created_at, StackSend.created_at, StackRow.sent_at)
                    .join(StackSend, StackSend.id == StackRow.send_id)
                    .where(StackRow.status == StackStatus.SENT.value)
                ).all()
                names = dict(session.execute(select(Cart.id, Cart.name)).all())
                sends = session.scalar(select(func.count()).select_from(StackSend))
    finally:
        controller.terminate()
        controller.wait(30)
        for cart in sandboxes.values():
            cart.stop()
    latencies = [(s - c).total_seconds() * 1000 for c, s, _ in rows]
    per_cart = {
        names[cart_id]: {
            k: round(v, 1)
            for k, v in percentiles(
                [(s - c).total_seconds() * 1000 for c, s, cid in rows if cid == cart_id]
            ).items()
        }
        for cart_id in names
    }
    return {
        "workstations": 2,
        "carts": len(CARTS),
        "changes_per_second": rate,
        "seconds": seconds,
        "changes": sum(made),
        "rows_delivered": len(rows),
        "sends": sends,
        "latency_ms": {k: round(v, 1) for k, v in percentiles(latencies).items()},
        # Every row's latency, per cart and sorted (for the distribution in docs/bench/).
        "samples_ms_per_cart": {
            names[cart_id]: sorted(
                round((s - c).total_seconds() * 1000, 1) for c, s, cid in rows if cid == cart_id
            )
            for cart_id in names
        },
        "latency_ms_per_cart": per_cart,
        "waiting_to_be_claimed_ms": {
            k: round(v, 1)
            for k, v in percentiles(
                [(claim - made).total_seconds() * 1000 for made, claim, _ in phases]
            ).items()
        },
        "claim_to_confirmed_ms": {
            k: round(v, 1)
            for k, v in percentiles(
                [(sent - claim).total_seconds() * 1000 for _, claim, sent in phases]
            ).items()
        },
    }


def burst_run(folder: Path, rows: int, skus_count: int) -> dict[str, Any]:
    location = str(folder / "burst.seom")
    skus = [f"B-{i:05d}" for i in range(skus_count)]
    cart = start_sandbox("shopify", catalog=dict.fromkeys(skus, 1_000_000), cost_limit=False)
    try:
        with open_store(location, create=True) as store:
            with store.write() as session:
                params.set_value(session, "SynchQOH", True)
                for sku in skus:
                    products.add_product(session, sku, "BENCH", qoh=1_000_000)
                cart_records.add_cart(
                    session,
                    "Shop",
                    "shopify",
                    cart.url,
                    username="sandbox-shop",
                    secret="shpat_sandbox_0123456789abcdef",
                )
                cart_records.set_sync(session, "Shop", True)
                cart_records.set_cart_fields(session, "Shop", {"max_items": "250"})
            # 50,000 real changes (the domain function, 5,000 per transaction).
            for first in range(0, rows, 5000):
                with store.write() as session:
                    for n in range(first, min(rows, first + 5000)):
                        apply_change(
                            session,
                            QohChange(skus[n % skus_count], Source.POS_SALE, delta=-1),
                            "BENCH",
                        )
            before = requests.get(cart.url + "/_sandbox/stats", timeout=10).json()["requests"]
            drain_started_at = utcnow()
            started = time.perf_counter()
            left = StackController(store, "BENCH").run_once(max_wait=600)
            drain = time.perf_counter() - started
            after = requests.get(cart.url + "/_sandbox/stats", timeout=10).json()["requests"]
            with store.read() as session:
                sends = session.scalar(select(func.count()).select_from(StackSend))
                # The backlog over time, from each row's confirmation time (no sampling
                # query competes with the controller for the store's lock during the drain).
                confirmed = session.execute(
                    select(StackRow.sent_at, func.count())
                    .where(StackRow.sent_at.is_not(None))
                    .group_by(StackRow.sent_at)
                    .order_by(StackRow.sent_at)
                ).all()
            inventory = cart.inventory()
        backlog_t, backlog_pending = [0.0], [rows]
        for sent_at, count in confirmed:
            backlog_t.append(round((as_utc(sent_at) - drain_started_at).total_seconds(), 3))
            backlog_pending.append(backlog_pending[-1] - int(count))
        expected = 1_000_000 - rows // skus_count
        return {
            "rows": rows,
            "skus": skus_count,
            "left_pending": left,
            "sends": sends,
            "requests_to_cart": after - before,
            "drain_seconds": round(drain, 2),
            "cart_correct": all(q == expected for q in inventory.values()),
            "backlog": {
                "how": "pending rows after each confirmation (web_stack.sent_at), "
                "seconds from the start of the drain",
                "seconds": backlog_t,
                "pending": backlog_pending,
            },
        }
    finally:
        cart.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--burst-rows", type=int, default=50_000)
    parser.add_argument("--burst-skus", type=int, default=5_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seom-latency-"))
    try:
        latency = latency_run(folder, args.seconds, args.rate)
        print(latency)
        burst = burst_run(folder, args.burst_rows, args.burst_skus)
        print(burst)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(write_result("latency", {"latency": latency, "burst": burst}))


if __name__ == "__main__":
    main()
