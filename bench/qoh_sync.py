"""Send QOH and Get QOH of many SKUs against the Shopify and WooCommerce sandboxes.

The N products are created once through the domain (``products.import_products``, 10,000 rows
per write transaction; timed and reported separately) and the store file is copied for each
platform. For each platform: that store, one cart
pointing to the platform's sandbox served by ANOTHER process (its CPU and memory are not the
sender's), whose catalogue holds the same SKUs with other quantities. Then:

1. Send QOH (batches of the platform's limit: Shopify 250, WooCommerce 100) in a fresh child
   process, which records every request the connector puts on the wire (method, URL, headers,
   body bytes) through a transport adapter; the sandbox's inventory must then equal the store
   for every SKU.
2. The sandbox is reset to its initial catalogue (and idempotency keys) and a bare
   ``requests.Session`` loop in another fresh child replays the recorded requests, byte for
   byte (same count, bodies, auth headers): the raw-HTTP limit. ratio = SEOM items/s / raw.
   The bytes carry the time they were made (Miva's ``Miva_Request_Timestamp``, refused when
   more than 60 s off): each request is replayed at its recorded time on the sandbox's clock,
   which the replay sets back (``ClockShift``) before sending it. A replayed answer whose
   status or size differs from the recorded one is counted (``raw_failures``,
   ``raw_answers_of_another_size``): Miva refuses with HTTP 200 and a short body.
3. The sandbox's quantities are changed (a stock take through its control endpoint), Get QOH
   runs in a fresh child (recording too), the store must then equal the cart for every SKU,
   and the recorded page requests are replayed by a bare loop.

Each side runs ``--repeats`` times (default 3), SEOM and raw alternating, and the fastest run
of each is compared: this VM's speed drifts by 10-20 % from one run to the next, more than
the differences being measured. Every run's time is kept in ``runs_seconds`` /
``raw_runs_seconds``; every run must leave the cart (or the store) right. Each Get starts
from a copy of the store as Send QOH left it.

Peak RSS is each child's own ``ru_maxrss`` (the largest over the runs). Goals: ratio >= 0.8,
peak RSS < 300 MB.

    .venv/bin/python -m bench.qoh_sync [--skus 100000] [--platforms shopify,woocommerce]

Writes bench/results/qoh_sync.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import mmap
import os
import pickle
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bench.common import write_result

WORKSTATION = "BENCH"
CART_NAME = "Bench cart"
IMPORT_CHUNK = 10_000
CHILD_TIMEOUT = 900.0

PLATFORMS: dict[str, dict[str, Any]] = {
    "shopify": {
        "batch": 250,
        "user": "sandbox-shop",
        "secret": "shpat_sandbox_0123456789abcdef",
        # The default 1000-point bucket at 50 points/s would make this a rate-limit test.
        "sandbox_options": {"cost_limit": False},
    },
    "woocommerce": {
        "batch": 100,
        "user": "ck_sandbox0123456789abcdef0123456789abcdef",
        "secret": "cs_sandbox0123456789abcdef0123456789abcdef",
        "sandbox_options": {},
    },
    "generic": {
        "batch": 500,
        "user": "seom",
        "secret": "seom-sandbox",
        "path": "/seom.php",
        "sandbox_options": {},
    },
    "bigcommerce": {
        "batch": 2000,
        "user": "sbx0store1",
        "secret": "bc_sandbox_token_0123456789abcdef",
        # The 30-second request quota would make this a rate-limit test.
        "sandbox_options": {"rate_limit_quota": None},
    },
    "miva": {
        "batch": 100,
        "user": "SBX",
        "secret": "miva_sandbox_token_0123456789abcdef",
        "sandbox_options": {},
    },
    "magento": {
        "batch": 500,
        "user": "",
        "secret": "magento_sandbox_integration_token_0123456789",
        "sandbox_options": {},
    },
}


def sku_of(n: int) -> str:
    return f"BENCH-{n:06d}"


def store_qoh(n: int) -> int:
    return (n * 37) % 500 + 1


def cart_initial_qoh(n: int) -> int:
    return (n * 11) % 300 + 600  # never equal to the store's


def cart_stock_take_qoh(n: int) -> int:
    return (n * 53) % 700 + 1  # mostly different from the store's


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM). Not ``ru_maxrss``: Linux carries that
    over from the parent across fork + exec, so a child would report its parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KB on Linux


class ClockShift:
    """A shift of the sandbox's wall clock, in seconds, that another process can set.

    The sandbox process reads it at every ``now()`` (its ``wall_clock``); the replay sets it
    before each request so that the request arrives at the time it was recorded. 8 bytes
    (a float) in a shared file, mapped: setting and reading cost a microsecond."""

    _FORMAT = "d"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            self.path.write_bytes(struct.pack(self._FORMAT, 0.0))
        with open(self.path, "r+b") as fh:
            self._map = mmap.mmap(fh.fileno(), struct.calcsize(self._FORMAT))

    def set(self, seconds: float) -> None:
        struct.pack_into(self._FORMAT, self._map, 0, seconds)

    def seconds(self) -> float:
        shift: float = struct.unpack_from(self._FORMAT, self._map, 0)[0]
        return shift

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.seconds())

    def close(self) -> None:
        self._map.close()


# -- children -------------------------------------------------------------------------------
class RecordingAdapter(HTTPAdapter):
    """Writes every request that goes on the wire (as sent) to a file, with the wall-clock
    time it was sent, the answer's status and its ``Content-Length``."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.out = out
        self.count = 0
        self.seconds = 0.0
        """Time spent in the transport (urllib3: sending, waiting, reading the head), summed
        over the requests: with two batches in flight it can exceed the run's own time."""
        self._lock = threading.Lock()  # Send QOH sends from two threads: one record at a time

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        sent_at = time.time()
        started = time.perf_counter()
        status: int | None = None
        size: str | None = None
        try:
            answer = super().send(request, *args, **kwargs)
            status, size = answer.status_code, answer.headers.get("Content-Length")
            return answer
        finally:
            record = (request.method, request.url, dict(request.headers), body, sent_at)
            with self._lock:
                self.seconds += time.perf_counter() - started
                pickle.dump((*record, status, None if size is None else int(size)), self.out)
                self.count += 1


class TimedAdapter(HTTPAdapter):
    """Adds up the time spent in the transport, as RecordingAdapter does."""

    seconds = 0.0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super().send(request, *args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def child_sync(spec: dict[str, Any]) -> dict[str, Any]:
    """Send QOH or Get QOH, as the application runs it, in this (fresh) process."""
    from seom_desktop.carts.registry import connector_for, connector_settings
    from seom_desktop.inventory.qoh_sync import get_qoh, send_qoh
    from seom_desktop.store import open_store
    from seom_desktop.store.carts import get_cart, snapshot

    rss_before = peak_rss_mb()
    with open_store(spec["store"]) as store, open(spec["record"], "wb") as record:
        with store.read() as session:
            cart = snapshot(get_cart(session, CART_NAME))
            settings = connector_settings(session, cart)
        conn = connector_for(cart, **settings)
        adapter = RecordingAdapter(record, pool_connections=1, pool_maxsize=4, max_retries=0)
        http = conn.http  # type: ignore[attr-defined]
        http.session.mount("http://", adapter)
        http.session.mount("https://", adapter)
        try:
            started = time.perf_counter()
            cpu_started = time.process_time()
            if spec["kind"] == "send":
                report = send_qoh(
                    store, CART_NAME, WORKSTATION, max_items=spec["batch"], connector=conn
                )
            else:
                report = get_qoh(store, CART_NAME, WORKSTATION, connector=conn)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
        finally:
            conn.close()
        summary = report.summary()
        report.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "requests": adapter.count,
        "transport_seconds": adapter.seconds,
        "summary": summary,
        "peak_rss_mb": peak_rss_mb(),
        "rss_at_start_mb": rss_before,
    }


def child_raw(spec: dict[str, Any]) -> dict[str, Any]:
    """Replay recorded requests with a bare requests.Session loop, each at its recorded time
    on the sandbox's clock (see ``ClockShift``)."""
    records = []
    with open(spec["record"], "rb") as fh:
        while True:
            try:
                records.append(pickle.load(fh))
            except EOFError:
                break
    session = requests.Session()
    session.trust_env = False
    adapter = TimedAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
    session.mount("http://", adapter)
    clock = ClockShift(spec["clock"])
    failures = other_size = 0
    sent = received = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        for method, url, headers, body, sent_at, status, size in records:
            clock.set(sent_at - time.time())
            answer = session.request(
                method, url, headers=headers, data=body, timeout=(10, 60), allow_redirects=False
            )
            received += len(answer.content)
            sent += len(body or b"")
            if answer.status_code != status:
                failures += 1
            elif size is not None and len(answer.content) != size:
                other_size += 1
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        clock.set(0.0)
        clock.close()
        session.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "requests": len(records),
        "transport_seconds": adapter.seconds,
        "failures": failures,
        "answers_of_another_size": other_size,
        "bytes_sent": sent,
        "bytes_received": received,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_bare_store(spec: dict[str, Any]) -> dict[str, Any]:
    """The least the store write of a Get QOH can cost: a bare ``sqlite3`` loop that gives
    the same products the same quantities, with the same ledger rows, in transactions of the
    same size (GET_CHUNK) and with the store's own pragmas, and nothing else (no report, no
    stack rows: the bench's only cart is the one read from)."""
    import sqlite3

    from seom_desktop.inventory.qoh_sync import GET_CHUNK

    skus = spec["skus"]
    conn = sqlite3.connect(spec["store"], isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    started = time.perf_counter()
    cpu_started = time.process_time()
    for start in range(0, skus, GET_CHUNK):
        wanted = {
            sku_of(n): cart_stock_take_qoh(n) for n in range(start, min(skus, start + GET_CHUNK))
        }
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute(
            "SELECT id, sku, qoh FROM products WHERE sku IN (SELECT value FROM json_each(?))",
            (json.dumps(list(wanted)),),
        ).fetchall()
        moves = [(pid, sku, qoh, wanted[sku] - qoh) for pid, sku, qoh in rows]
        conn.executemany(
            "UPDATE products SET qoh = qoh + ? WHERE id = ?",
            [(d, pid) for pid, _, _, d in moves if d],
        )
        conn.executemany(
            "INSERT INTO ledger (created_at, workstation, product_id, sku, source, reason, "
            "origin_cart_id, send_to_web, qoh_before, delta, qoh_after) "
            "VALUES (?, 'BARE', ?, ?, 'Get QOH', '', NULL, 1, ?, ?, ?)",
            [(now, pid, sku, qoh, d, qoh + d) for pid, sku, qoh, d in moves],
        )
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    conn.close()
    return {"seconds": seconds, "cpu_seconds": cpu}


def child_serve(spec: dict[str, Any]) -> None:
    from seom_desktop.sandbox import run_sandbox

    clock = ClockShift(spec["clock"])
    try:
        run_sandbox(
            spec["platform"],
            catalog=spec["catalog"],
            user=spec["user"],
            secret=spec["secret"],
            wall_clock=clock.now,
            **spec["options"],
        )
    finally:
        clock.close()


def run_child(spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    out = folder / f"child-{spec['kind']}-{time.monotonic_ns()}.json"
    spec = {**spec, "out": str(out)}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.qoh_sync", "--child", json.dumps(spec)],
        timeout=CHILD_TIMEOUT,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {spec['kind']} failed ({proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


# -- the sandbox process --------------------------------------------------------------------
class SandboxProcess:
    """A sandbox served by ``python -m bench.qoh_sync --child serve`` on 127.0.0.1."""

    def __init__(self, platform: str, catalog: Path, clock: Path, folder: Path) -> None:
        conf = PLATFORMS[platform]
        spec = {
            "kind": "serve",
            "platform": platform,
            "catalog": str(catalog),
            "clock": str(clock),
            "user": conf["user"],
            "secret": conf["secret"],
            "options": conf["sandbox_options"],
        }
        self.log = open(folder / f"sandbox-{platform}.log", "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.qoh_sync", "--child", json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.url = ""
        self.http = requests.Session()
        self.http.trust_env = False
        try:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                if "listening on " in line:
                    self.url = line.rsplit("listening on ", 1)[1].strip()
                if line.startswith("Press Ctrl+C"):
                    break
            if not self.url:
                raise RuntimeError(f"the {platform} sandbox did not start; see {self.log.name}")
        except BaseException:
            self.stop()
            raise

    def control(self, method: str, name: str, payload: Any = None) -> Any:
        answer = self.http.request(
            method, f"{self.url}/_sandbox/{name}", json=payload, timeout=(10, 120)
        )
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


# -- the store ------------------------------------------------------------------------------
def create_store(location: str, skus: int) -> float:
    """N products through the domain's product import; returns the seconds it took."""
    from seom_desktop.inventory import products
    from seom_desktop.store import open_store

    rows = [
        products.ImportRow(n + 2, sku_of(n), f"Bench product {n}", store_qoh(n))
        for n in range(skus)
    ]
    started = time.perf_counter()
    with open_store(location, create=True) as store:
        for start in range(0, skus, IMPORT_CHUNK):
            with store.write() as session:
                products.import_products(session, rows[start : start + IMPORT_CHUNK], WORKSTATION)
    return time.perf_counter() - started


def add_cart(location: str, platform: str, url: str) -> None:
    from seom_desktop.store import carts as cart_records
    from seom_desktop.store import open_store

    conf = PLATFORMS[platform]
    with open_store(location) as store, store.write() as session:
        cart_records.add_cart(
            session, CART_NAME, platform, url, username=conf["user"], secret=conf["secret"]
        )
        # "Maximum number of items to send": the platform's limit per request.
        cart_records.set_cart_fields(session, CART_NAME, {"max_items": str(conf["batch"])})


def store_quantities(location: str) -> dict[str, int]:
    from sqlalchemy import select

    from seom_desktop.store import open_store
    from seom_desktop.store.models import Product

    with open_store(location) as store, store.read() as session:
        return dict(session.execute(select(Product.sku, Product.qoh)).all())


def differences(store: Mapping[str, int], cart: Mapping[str, int | None]) -> int:
    return sum(1 for sku, qoh in store.items() if cart.get(sku) != qoh) + sum(
        1 for sku in cart if sku not in store
    )


# -- one platform ---------------------------------------------------------------------------
def figures(items: int, seoms: list[dict[str, Any]], raws: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run of each side (and every run's seconds, to show the spread)."""
    seom = min(seoms, key=lambda r: r["seconds"])
    raw = min(raws, key=lambda r: r["seconds"])
    ips = items / seom["seconds"]
    raw_ips = items / raw["seconds"]
    return {
        "items": items,
        "seconds": round(seom["seconds"], 3),
        "items_per_second": round(ips, 1),
        "requests": seom["requests"],
        "transport_seconds": round(seom["transport_seconds"], 3),
        "cpu_seconds": round(seom["cpu_seconds"], 3),
        "raw_seconds": round(raw["seconds"], 3),
        "raw_items_per_second": round(raw_ips, 1),
        "raw_requests": raw["requests"],
        "raw_transport_seconds": round(raw["transport_seconds"], 3),
        "raw_cpu_seconds": round(raw["cpu_seconds"], 3),
        "raw_failures": max(r["failures"] for r in raws),
        "raw_answers_of_another_size": max(r["answers_of_another_size"] for r in raws),
        "ratio": round(ips / raw_ips, 3),
        "runs_seconds": [round(r["seconds"], 3) for r in seoms],
        "raw_runs_seconds": [round(r["seconds"], 3) for r in raws],
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in seoms), 1),
        "raw_peak_rss_mb": round(max(r["peak_rss_mb"] for r in raws), 1),
        "report": seom["summary"],
    }


def run_platform(
    platform: str, skus: int, folder: Path, products: Path, repeats: int = 3
) -> dict[str, Any]:
    """One platform; ``products`` is the store with the N products (copied, not changed)."""
    conf = PLATFORMS[platform]
    folder.mkdir(parents=True, exist_ok=True)
    catalog = folder / "catalog.csv"
    with catalog.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "qoh"])
        writer.writerows((sku_of(n), cart_initial_qoh(n)) for n in range(skus))
    location = str(folder / "store.seom")
    shutil.copyfile(products, location)
    clock = folder / "clock"
    ClockShift(clock).close()  # created unshifted, before the sandbox reads it
    sandbox = SandboxProcess(platform, catalog, clock, folder)
    try:
        add_cart(location, platform, sandbox.url + PLATFORMS[platform].get("path", ""))
        expected = store_quantities(location)
        base = {"store": location, "batch": conf["batch"]}

        # Send QOH, then its raw peer on the same initial catalogue; `repeats` times each,
        # alternating, and the fastest of each side is kept (see the module docstring).
        sends, raw_sends = [], []
        send_wrong = raw_wrong = 0
        send_stats: dict[str, Any] = {}
        raw_stats: dict[str, Any] = {}
        for _ in range(repeats):
            sandbox.control("POST", "reset")
            sends.append(
                run_child({**base, "kind": "send", "record": str(folder / "send.rec")}, folder)
            )
            send_wrong = max(send_wrong, differences(expected, sandbox.control("GET", "inventory")))
            send_stats = sandbox.control("GET", "stats")
            sandbox.control("POST", "reset")
            raw_sends.append(
                run_child(
                    {"kind": "raw", "record": str(folder / "send.rec"), "clock": str(clock)},
                    folder,
                )
            )
            raw_wrong = max(raw_wrong, differences(expected, sandbox.control("GET", "inventory")))
            raw_stats = sandbox.control("GET", "stats")
        send_figures = figures(skus, sends, raw_sends)
        send_figures.update(
            {
                "cart_differs_after_send": send_wrong,
                "cart_differs_after_raw_replay": raw_wrong,
                "sandbox_changes_applied": send_stats["changes_applied"],
                "sandbox_changes_applied_raw": raw_stats["changes_applied"],
            }
        )
        print(f"{platform} send: {json.dumps(send_figures)}", flush=True)

        # Get QOH after a stock take at the cart, then its raw peer; each Get starts from
        # the store as Send QOH left it.
        taken = {sku_of(n): cart_stock_take_qoh(n) for n in range(skus)}
        sandbox.control("POST", "inventory", taken)
        before_get = folder / "before-get.seom"
        shutil.copyfile(location, before_get)
        gets, raw_gets = [], []
        get_wrong = 0
        for _ in range(repeats):
            shutil.copyfile(before_get, location)
            gets.append(
                run_child({**base, "kind": "get", "record": str(folder / "get.rec")}, folder)
            )
            get_wrong = max(get_wrong, differences(store_quantities(location), taken))
            raw_gets.append(
                run_child(
                    {"kind": "raw", "record": str(folder / "get.rec"), "clock": str(clock)},
                    folder,
                )
            )
        get_figures = figures(skus, gets, raw_gets)
        get_figures["store_differs_after_get"] = get_wrong
        # A pull writes what it reads: the bare read loop above writes nothing. The bare
        # store writer gives the least that writing costs; read + write is the bare limit
        # of a Get QOH done one step after the other (see docs/decisions.md).
        bare = []
        for _ in range(repeats):
            shutil.copyfile(before_get, location)
            bare.append(run_child({"kind": "bare_store", "store": location, "skus": skus}, folder))
        bare_seconds = min(b["seconds"] for b in bare)
        get_figures["bare_store_seconds"] = round(bare_seconds, 3)
        get_figures["bare_store_cpu_seconds"] = round(min(b["cpu_seconds"] for b in bare), 3)
        limit = get_figures["raw_seconds"] + bare_seconds
        get_figures["bare_read_and_write_seconds"] = round(limit, 3)
        get_figures["ratio_to_read_and_write"] = round(limit / get_figures["seconds"], 3)
        print(f"{platform} get: {json.dumps(get_figures)}", flush=True)
    finally:
        sandbox.stop()
    return {
        "platform": platform,
        "skus": skus,
        "batch": conf["batch"],
        "send": send_figures,
        "get": get_figures,
        "correct": send_wrong == 0 and raw_wrong == 0 and get_wrong == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument(
        "--platforms",
        default="shopify,woocommerce",
        help="any of shopify, woocommerce, generic, bigcommerce, miva, magento",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each side; the fastest is kept"
    )
    parser.add_argument("--result", default="qoh_sync", help="result file name (no .json)")
    parser.add_argument("--dir", help="working folder (default: a temp folder, removed)")
    parser.add_argument(
        "--products",
        help="reuse this store of N products made by an earlier run (kept in --dir as "
        "products.seom) instead of creating them again; product_creation is then not measured",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        spec = json.loads(args.child)
        if spec["kind"] == "serve":
            child_serve(spec)
            return
        if spec["kind"] == "raw":
            result = child_raw(spec)
        elif spec["kind"] == "bare_store":
            result = child_bare_store(spec)
        else:
            result = child_sync(spec)
        Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")
        return

    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    folder = Path(args.dir or tempfile.mkdtemp(prefix="seom-bench-qoh-"))
    started = time.perf_counter()
    results: dict[str, Any] = {
        "skus": args.skus,
        "repeats": args.repeats,
        "goals": {"ratio": 0.8, "peak_rss_mb": 300},
    }
    # Other work on the machine skews the figures (the ratio less: both sides share the run).
    results["load_average_at_start"] = os.getloadavg()
    try:
        products = folder / "products.seom"
        if args.products:
            shutil.copyfile(args.products, products)
            creation = 0.0
            results["product_creation"] = {"reused": args.products}
        else:
            creation = create_store(str(products), args.skus)
            results["product_creation"] = {
                "products": args.skus,
                "seconds": round(creation, 3),
                "products_per_second": round(args.skus / creation, 1),
                "how": f"products.import_products, {IMPORT_CHUNK} rows per write transaction; "
                "one store file, copied for each platform",
            }
            print(f"{args.skus} products created in {creation:.1f} s", flush=True)
        for platform in platforms:
            results[platform] = run_platform(
                platform, args.skus, folder / platform, products, args.repeats
            )
    finally:
        if not args.dir:
            shutil.rmtree(folder, ignore_errors=True)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = os.getloadavg()
    print(f"{'':12} {'dir':4} {'items/s':>9} {'raw/s':>9} {'ratio':>6} {'RSS MB':>7}")
    for platform in platforms:
        for kind in ("send", "get"):
            f = results[platform][kind]
            print(
                f"{platform:12} {kind:4} {f['items_per_second']:9.0f} "
                f"{f['raw_items_per_second']:9.0f} {f['ratio']:6.2f} {f['peak_rss_mb']:7.1f}"
            )
        print(f"{platform:12} correct: {results[platform]['correct']}")
    print(f"products created in {creation:.1f} s; total {results['total_seconds']} s")
    print(write_result(args.result, results))


if __name__ == "__main__":
    main()
