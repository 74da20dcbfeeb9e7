"""Figures of the benchmark results, for the README: PNGs in docs/bench/.

    .venv/bin/python -m bench.plots [--results bench/results] [--out docs/bench]

Reads the JSON the benchmarks wrote (nothing is re-run) and renders, with matplotlib's Agg
backend (no display needed):

* ``latency.png`` — commit -> cart confirmed, every stack row of ``bench.latency``: histogram
  and, per cart, the cumulative distribution, with the goals (p50 <= 150 ms, p99 <= 1 s);
* ``qoh_sync_throughput.png`` — Send QOH and Get QOH items/s per platform next to the bare
  ``requests`` replay of the same bytes measured in the same run (the raw-HTTP limit), and
  their ratio against the 0.8 goal;
* ``burst_backlog.png`` — pending stack rows over time while the 50,000-row burst drains.

A figure whose data is missing (an older result file, a benchmark not run) is skipped with a
message; the others are still drawn.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bench.common import RESULTS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bench"

LATENCY_GOALS_MS = {"p50": 150.0, "p99": 1000.0}
BURST_REQUEST_GOAL = 20
PLATFORM_NAMES = {
    "shopify": "Shopify",
    "woocommerce": "WooCommerce",
    "generic": "generic script",
    "bigcommerce": "BigCommerce",
    "miva": "Miva",
    "magento": "Magento",
}
CART_NAMES = {"Shop": "Shopify", "Gen": "generic script", "Woo": "WooCommerce"}
SEOM_COLOUR = "#1f77b4"
RAW_COLOUR = "#b0b0b0"
GOAL_COLOUR = "#d62728"


class MissingData(Exception):
    """The result files lack what a figure needs."""


def load(results: Path, name: str) -> dict[str, Any]:
    path = results / f"{name}.json"
    if not path.exists():
        raise MissingData(f"{path} does not exist (run the benchmark first)")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _when(data: dict[str, Any]) -> str:
    machine = data.get("machine", {})
    return f"{machine.get('when', '?')[:10]}, commit {machine.get('commit') or '?'}"


def _quantile(ordered: list[float], q: float) -> float:
    # The same pick as bench.common.percentiles.
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _thousands(value: float, _pos: int) -> str:
    return f"{value:,.0f}"


# -- (a) latency ----------------------------------------------------------------------------
def latency_figure(results: Path) -> Figure:
    data = load(results, "latency")
    run = data["latency"]
    per_cart: dict[str, list[float]] | None = run.get("samples_ms_per_cart")
    if not per_cart:
        raise MissingData(
            "latency.json has no per-row samples (samples_ms_per_cart): re-run bench.latency"
        )
    everything = sorted(s for samples in per_cart.values() for s in samples)
    p50, p99 = _quantile(everything, 0.50), _quantile(everything, 0.99)
    right = max(LATENCY_GOALS_MS["p99"] * 1.1, everything[-1] * 1.05)

    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    width = 25.0
    bins = [i * width for i in range(int(right // width) + 2)]
    hist.hist(everything, bins=bins, color=SEOM_COLOUR, alpha=0.85)
    hist.set_xlim(0, right)
    hist.set_xlabel("commit -> cart confirmed (ms)")
    hist.set_ylabel(f"stack rows (of {len(everything):,}) per {width:.0f} ms")
    hist.set_title("All carts")
    top = hist.get_ylim()[1]
    for label, value, goal, height in (
        ("p50", p50, LATENCY_GOALS_MS["p50"], 0.80),
        ("p99", p99, LATENCY_GOALS_MS["p99"], 0.70),
    ):
        hist.axvline(value, color="black", linestyle="-", linewidth=1.2)
        hist.axvline(goal, color=GOAL_COLOUR, linestyle="--", linewidth=1.2)
        hist.text(value, top * 0.95, f" {label} {value:.0f} ms", va="top", fontsize=8)
        hist.text(
            goal,
            top * height,
            f" goal {label} \u2264 {goal:.0f} ms",
            va="top",
            fontsize=8,
            color=GOAL_COLOUR,
        )

    for cart, samples in sorted(per_cart.items()):
        ordered = sorted(samples)
        if not ordered:
            continue
        ys = [(i + 1) / len(ordered) for i in range(len(ordered))]
        cdf.step(
            ordered,
            ys,
            where="post",
            label=f"{CART_NAMES.get(cart, cart)}: p50 {_quantile(ordered, 0.5):.0f}, "
            f"p99 {_quantile(ordered, 0.99):.0f} ms",
        )
    ys_all = [(i + 1) / len(everything) for i in range(len(everything))]
    cdf.step(everything, ys_all, where="post", color="black", linewidth=1.6, label="all carts")
    for label, q in (("p50", 0.50), ("p99", 0.99)):
        goal = LATENCY_GOALS_MS[label]
        cdf.axhline(q, color="grey", linestyle=":", linewidth=0.8)
        cdf.axvline(goal, color=GOAL_COLOUR, linestyle="--", linewidth=1.2)
        cdf.plot([goal], [q], marker="o", color=GOAL_COLOUR)
        cdf.annotate(
            f"goal {label}",
            (goal, q),
            textcoords="offset points",
            xytext=(6, -12),
            fontsize=8,
            color=GOAL_COLOUR,
        )
    cdf.set_xlim(0, right)
    cdf.set_ylim(0, 1.02)
    cdf.set_xlabel("commit -> cart confirmed (ms)")
    cdf.set_ylabel("fraction of stack rows confirmed")
    cdf.set_title("Cumulative, per cart")
    cdf.legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"Propagation latency: {run['workstations']} workstations, {run['carts']} carts, "
        f"{run['changes_per_second']:g} changes/s for {run['seconds']:g} s "
        f"({_when(data)})",
        fontsize=10,
    )
    return fig


# -- (b) Send / Get throughput --------------------------------------------------------------
def qoh_sync_files(results: Path) -> list[str]:
    """The qoh_sync result names of the last ``make bench`` (run_all.json), else every
    qoh_sync*.json there is."""
    run_all = results / "run_all.json"
    if run_all.exists():
        recorded = json.loads(run_all.read_text(encoding="utf-8")).get("qoh_sync_results", [])
        present = [name for name in recorded if (results / f"{name}.json").exists()]
        if present:
            return present
    return sorted(p.stem for p in results.glob("qoh_sync*.json"))


def qoh_sync_rows(results: Path, files: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per platform: its figures from the result file that measured it last."""
    found: dict[str, dict[str, Any]] = {}
    for name in files or qoh_sync_files(results):
        if not (results / f"{name}.json").exists():
            continue  # a step that failed or was left out; the others are still drawn
        data = load(results, name)
        when = data.get("machine", {}).get("when", "")
        for platform in PLATFORM_NAMES:
            entry = data.get(platform)
            if not isinstance(entry, dict) or "send" not in entry:
                continue
            if platform in found and found[platform]["when"] >= when:
                continue
            found[platform] = {"platform": platform, "when": when, "file": name, **entry}
    if not found:
        raise MissingData("no qoh_sync*.json with a platform's figures: run bench.qoh_sync")
    order = list(PLATFORM_NAMES)
    return sorted(found.values(), key=lambda row: order.index(row["platform"]))


def throughput_figure(results: Path, qoh_sync: list[str] | None = None) -> Figure:
    rows = qoh_sync_rows(results, qoh_sync)
    labels = [
        f"{PLATFORM_NAMES[r['platform']]}\n{r['skus']:,} SKUs\nbatch {r['batch']}" for r in rows
    ]
    xs = list(range(len(rows)))
    bar = 0.38
    fig, axes = plt.subplots(
        1, 3, figsize=(max(12.0, 2.6 * len(rows) + 4), 4.8), layout="constrained"
    )
    for ax, kind, title in (
        (axes[0], "send", "Send QOH"),
        (axes[1], "get", "Get QOH"),
    ):
        seom = [r[kind]["items_per_second"] for r in rows]
        raw = [r[kind]["raw_items_per_second"] for r in rows]
        ax.bar([x - bar / 2 for x in xs], seom, bar, color=SEOM_COLOUR, label="SEOM Desktop")
        ax.bar(
            [x + bar / 2 for x in xs],
            raw,
            bar,
            color=RAW_COLOUR,
            label="bare requests replay (raw-HTTP limit)",
        )
        for x, value, limit in zip(xs, seom, raw, strict=True):
            ax.annotate(
                f"{value:,.0f}",
                (x - bar / 2, value),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                fontsize=7,
            )
            ax.annotate(
                f"{limit:,.0f}",
                (x + bar / 2, limit),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                fontsize=7,
                color="dimgrey",
            )
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.set_xticks(xs, labels, fontsize=7)
        ax.set_ylabel("items / s (log scale)")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=7)
        ax.margins(y=0.15)

    ratio_ax = axes[2]
    for offset, kind, colour in ((-bar / 2, "send", SEOM_COLOUR), (bar / 2, "get", "#ff7f0e")):
        ratios = [r[kind]["ratio"] for r in rows]
        ratio_ax.bar(
            [x + offset for x in xs],
            ratios,
            bar,
            color=colour,
            label=f"{'Send' if kind == 'send' else 'Get'} QOH",
        )
        for x, value in zip(xs, ratios, strict=True):
            ratio_ax.annotate(
                f"{value:.2f}",
                (x + offset, value),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                fontsize=7,
            )
    ratio_ax.axhline(0.8, color=GOAL_COLOUR, linestyle="--", linewidth=1.2, label="goal \u2265 0.8")
    ratio_ax.set_xticks(xs, labels, fontsize=7)
    ratio_ax.set_ylabel("SEOM items/s \u00f7 raw items/s")
    ratio_ax.set_ylim(0, max(1.1, *(r[k]["ratio"] * 1.15 for r in rows for k in ("send", "get"))))
    ratio_ax.set_title("Ratio to the raw replay (same run)")
    ratio_ax.legend(loc="upper right", fontsize=7)
    files = sorted({r["file"] for r in rows})
    fig.suptitle(
        "Send / Get QOH against each platform's sandbox (another process), next to a bare "
        f"requests loop replaying the same requests: {', '.join(files)}",
        fontsize=9,
    )
    missing = failed_qoh_sync_steps(results)
    if missing:
        fig.supxlabel(f"Not measured in this run: {missing}", fontsize=8, color="dimgrey")
    return fig


def failed_qoh_sync_steps(results: Path) -> str:
    """The qoh_sync steps of the last ``make bench`` that failed, e.g. a platform whose run
    overran its time limit, so that the figure says which platform is missing and why."""
    run_all = results / "run_all.json"
    if not run_all.exists():
        return ""
    steps = json.loads(run_all.read_text(encoding="utf-8")).get("steps", [])
    return "; ".join(
        f"{step['name']} ({'over its time limit' if step['timed_out'] else 'failed'}: "
        f"{step['command'].removeprefix('python -m ')})"
        for step in steps
        if "bench.qoh_sync" in step["command"] and not step["ok"]
    )


# -- (c) the burst's backlog ----------------------------------------------------------------
def backlog_figure(results: Path) -> Figure:
    data = load(results, "latency")
    burst = data.get("burst", {})
    backlog = burst.get("backlog")
    if not backlog or not backlog.get("seconds"):
        raise MissingData("latency.json has no burst backlog: re-run bench.latency")
    seconds = list(backlog["seconds"])
    pending = list(backlog["pending"])
    drain = float(burst["drain_seconds"])
    if seconds[-1] < drain:  # the controller's last check after the last confirmation
        seconds.append(drain)
        pending.append(pending[-1])
    fig, ax = plt.subplots(figsize=(9, 4.4), layout="constrained")
    ax.step(seconds, pending, where="post", color=SEOM_COLOUR, linewidth=1.8)
    ax.fill_between(seconds, pending, step="post", color=SEOM_COLOUR, alpha=0.15)
    ax.plot(seconds[1:-1], pending[1:-1], "o", color=SEOM_COLOUR, markersize=3)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.set_xlim(0, max(seconds) * 1.03)
    ax.set_ylim(0, burst["rows"] * 1.05)
    ax.set_xlabel("seconds since the controller started draining")
    ax.set_ylabel("pending stack rows")
    sends = burst["sends"]
    reads = burst["requests_to_cart"] - sends
    ax.set_title(
        f"Burst: {burst['rows']:,} stack rows over {burst['skus']:,} SKUs to one Shopify cart "
        f"({_when(data)})",
        fontsize=10,
    )
    verdict = "met" if sends <= BURST_REQUEST_GOAL else "NOT met"
    ax.text(
        0.98,
        0.95,
        f"drained in {drain:.1f} s\n"
        f"{sends} adjust requests (goal \u2264 {BURST_REQUEST_GOAL}: {verdict})\n"
        f"+ {reads} reads (inventory-item ids, cold start)\n"
        f"cart correct: {burst['cart_correct']}, left pending: {burst['left_pending']}",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=9,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "lightgrey"},
    )
    return fig


def render_all(
    results: Path = RESULTS, out: Path = DOCS, *, qoh_sync: list[str] | None = None
) -> tuple[list[Path], list[str]]:
    """Draw every figure it has the data for; returns (written, skipped with the reason).

    ``qoh_sync``: the qoh_sync result names to draw (default: those run_all.json lists)."""
    figures: dict[str, Callable[[Path], Figure]] = {
        "latency.png": latency_figure,
        "qoh_sync_throughput.png": partial(throughput_figure, qoh_sync=qoh_sync),
        "burst_backlog.png": backlog_figure,
    }
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    skipped: list[str] = []
    for name, draw in figures.items():
        try:
            fig = draw(results)
        except MissingData as exc:
            skipped.append(f"{name}: {exc}")
            continue
        path = out / name
        fig.savefig(path, dpi=110, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of result JSON")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the PNGs")
    args = parser.parse_args(argv)
    written, skipped = render_all(args.results, args.out)
    for path in written:
        print(f"wrote {path}")
    for reason in skipped:
        print(f"skipped {reason}")
    return 0 if written else 1


if __name__ == "__main__":
    raise SystemExit(main())
