"""Every benchmark in one go (``make bench``), then the figures in docs/bench/.

    .venv/bin/python -m bench.run_all [--skus 100000] [--more-skus 10000] [--gui-skus 100000]
                                      [--only NAME[,NAME]] [--skip NAME[,NAME]] [--no-plots]

Runs, one after the other (never side by side: the figures would measure each other), each
benchmark as its own process, the way its own command line runs it:

=================== =========================================================================
adjustments         ``bench.adjustments`` (1 process, then 4, SQLite)
latency             ``bench.latency`` (commit -> cart confirmed at 20 changes/s, then the
                    50,000-row burst)
qoh_sync            ``bench.qoh_sync`` Send / Get QOH, Shopify and WooCommerce, ``--skus``
qoh_sync_more       the same for generic, BigCommerce and Magento at ``--more-skus``
qoh_sync_miva       the same for Miva at ``--more-skus`` (may fail: recorded, not fatal)
gui_lag             ``bench.gui_lag`` at ``--gui-skus`` (``QT_QPA_PLATFORM=offscreen``)
=================== =========================================================================

Each benchmark writes its own bench/results/NAME.json; this writes bench/results/run_all.json
(the sizes chosen, each step's command, wall time and exit status, and the total wall time),
then renders the PNGs (``bench.plots``). A step that overruns its time limit is stopped (its
whole process group). Exits 1 if a required step failed.

The default sizes keep the whole run under 15 minutes on the project's 2-core VM: 100,000 SKUs
for Shopify and WooCommerce, 10,000 for the other platforms, 100,000 for the GUI (about 10
minutes in all, of which about 5 are the 100,000-SKU Send/Get QOH, half of that creating the
products through the domain; ``--skus 50000`` saves about 3 minutes). Other work on the machine
slows every figure (the qoh_sync ratios less: both sides are measured in the same run);
run_all.json records the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import write_result

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 15 * 60
SHOWN_LINE = 240
"""Longer output lines (the raw samples some benchmarks print) are cut on the terminal; the
full output is in the log folder."""


@dataclass
class Step:
    name: str
    module: str
    args: list[str]
    results: list[str]
    timeout: float
    required: bool = True
    env: dict[str, str] = field(default_factory=dict)

    def command(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]


def size_label(skus: int) -> str:
    return f"{skus // 1000}k" if skus % 1000 == 0 else str(skus)


def plan(skus: int, more_skus: int, gui_skus: int) -> list[Step]:
    more = f"qoh_sync_{size_label(more_skus)}_more_platforms"
    miva = f"qoh_sync_{size_label(more_skus)}_miva"
    return [
        Step("adjustments", "bench.adjustments", [], ["adjustments"], timeout=420),
        Step("latency", "bench.latency", [], ["latency"], timeout=480),
        Step(
            "qoh_sync",
            "bench.qoh_sync",
            ["--skus", str(skus), "--platforms", "shopify,woocommerce", "--result", "qoh_sync"],
            ["qoh_sync"],
            timeout=max(300.0, skus * 0.012),
        ),
        Step(
            "qoh_sync_more",
            "bench.qoh_sync",
            [
                "--skus",
                str(more_skus),
                "--platforms",
                "generic,bigcommerce,magento",
                "--result",
                more,
            ],
            [more],
            timeout=max(240.0, more_skus * 0.03),
        ),
        # Kept apart: if the Miva run fails, the other platforms' figures stand.
        Step(
            "qoh_sync_miva",
            "bench.qoh_sync",
            ["--skus", str(more_skus), "--platforms", "miva", "--result", miva],
            [miva],
            timeout=max(150.0, more_skus * 0.015),
            required=False,
        ),
        Step(
            "gui_lag",
            "bench.gui_lag",
            ["--skus", str(gui_skus)],
            ["gui_lag"],
            timeout=max(300.0, gui_skus * 0.006),
            env={"QT_QPA_PLATFORM": "offscreen"},
        ),
    ]


def run_step(step: Step, logs: Path) -> dict[str, Any]:
    """Run one benchmark in its own process group; echo its output; return its record."""
    log_path = logs / f"{step.name}.log"
    print(f"\n=== {step.name}: {' '.join(step.command()[1:])}", flush=True)
    started = time.perf_counter()
    timed_out = False
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            step.command(),
            env={**os.environ, **step.env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: sandboxes and children included
        )
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = started + step.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                timed_out = True
                print(f"--- {step.name}: over its {step.timeout:.0f} s limit, stopped", flush=True)
                os.killpg(proc.pid, signal.SIGKILL)
                break
            if not selector.select(timeout=min(left, 5.0)):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            log.write(line)
            shown = line.rstrip("\n")
            if len(shown) > SHOWN_LINE:
                shown = f"{shown[:SHOWN_LINE]} ... ({len(shown):,} characters, see the log)"
            print(f"  {shown}", flush=True)
        selector.close()
        returncode = proc.wait()
        proc.stdout.close()
    seconds = time.perf_counter() - started
    if not timed_out:
        # Children the benchmark left behind (it should not): stop them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    ok = returncode == 0 and not timed_out
    print(f"--- {step.name}: {'ok' if ok else 'FAILED'} in {seconds:.1f} s", flush=True)
    return {
        "name": step.name,
        "command": " ".join(["python", *step.command()[1:]]),
        "env": step.env,
        "required": step.required,
        "seconds": round(seconds, 1),
        "timeout_seconds": step.timeout,
        "timed_out": timed_out,
        "returncode": returncode,
        "ok": ok,
        "results": [f"bench/results/{name}.json" for name in step.results],
        "log": str(log_path),
    }


def names(value: str) -> set[str]:
    return {n.strip() for n in value.split(",") if n.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skus", type=int, default=100_000, help="Send/Get QOH, Shopify and WooCommerce"
    )
    parser.add_argument(
        "--more-skus", type=int, default=10_000, help="Send/Get QOH, the other platforms"
    )
    parser.add_argument("--gui-skus", type=int, default=100_000, help="GUI lag")
    parser.add_argument("--only", type=names, default=set(), help="run only these steps")
    parser.add_argument("--skip", type=names, default=set(), help="leave these steps out")
    parser.add_argument("--no-plots", action="store_true", help="do not render docs/bench/")
    args = parser.parse_args(argv)

    steps = plan(args.skus, args.more_skus, args.gui_skus)
    known = {s.name for s in steps}
    unknown = (args.only | args.skip) - known
    if unknown:
        parser.error(f"unknown step(s) {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    steps = [s for s in steps if (not args.only or s.name in args.only) and s.name not in args.skip]
    logs = Path(tempfile.mkdtemp(prefix="seom-bench-logs-"))
    print(f"{len(steps)} benchmark(s); full output in {logs}", flush=True)
    load_at_start = os.getloadavg()
    started = time.perf_counter()
    records = [run_step(step, logs) for step in steps]
    bench_seconds = time.perf_counter() - started

    qoh_sync = [n for s in steps if s.module == "bench.qoh_sync" for n in s.results]
    failed = [r["name"] for r in records if not r["ok"]]
    summary: dict[str, Any] = {
        "sizes": {
            "qoh_sync_skus_shopify_woocommerce": args.skus,
            "qoh_sync_skus_other_platforms": args.more_skus,
            "gui_lag_skus": args.gui_skus,
            "latency": "bench.latency defaults: 30 s at 20 changes/s; burst 50,000 rows "
            "over 5,000 SKUs",
            "adjustments": "bench.adjustments defaults: 2,000 per process, 1 and 4 processes",
        },
        "steps": records,
        # The qoh_sync result files of this run: what `make plots` draws again.
        "qoh_sync_results": qoh_sync,
        "benchmarks_seconds": round(bench_seconds, 1),
        "failed": failed,
        "load_average_at_start": load_at_start,
    }
    # Written before the plots too: they name this run's failed steps from it.
    write_result("run_all", summary)
    written: list[Path] = []
    skipped: list[str] = []
    plot_seconds = 0.0
    if not args.no_plots:
        from bench.plots import render_all

        plotting = time.perf_counter()
        written, skipped = render_all(qoh_sync=qoh_sync or None)
        plot_seconds = time.perf_counter() - plotting
    total = time.perf_counter() - started
    summary.update(
        {
            "plots_seconds": round(plot_seconds, 1),
            "total_seconds": round(total, 1),
            "budget_seconds": BUDGET_SECONDS,
            "within_budget": total <= BUDGET_SECONDS,
            "plots": [str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p) for p in written],
            "plots_skipped": skipped,
            "load_average_at_end": os.getloadavg(),
        }
    )
    path = write_result("run_all", summary)

    print("\n" + f"{'step':16} {'seconds':>8}  status")
    for record in records:
        status = "ok" if record["ok"] else ("FAILED" if record["required"] else "failed (optional)")
        if record["timed_out"]:
            status += " (time limit)"
        print(f"{record['name']:16} {record['seconds']:8.1f}  {status}")
    print(f"{'plots':16} {plot_seconds:8.1f}  {len(written)} PNG(s)")
    print(f"{'total':16} {total:8.1f}  budget {BUDGET_SECONDS} s")
    for png in written:
        print(f"wrote {png}")
    for reason in skipped:
        print(f"skipped {reason}")
    print(f"wrote {path}; logs in {logs}")
    return 1 if any(not r["ok"] and r["required"] for r in records) else 0


if __name__ == "__main__":
    raise SystemExit(main())
