"""The long fuzz run of every cart connector against hostile answers.

The same harness as ``tests/carts/test_fuzz.py`` (a scripted loopback cart answering with
malformed, truncated, oversized, entity-laden, badly encoded or wrongly typed bodies and
garbage headers), run with many more examples: no crash but CartError, no hang, short
printable messages, the secret never echoed. Writes ``bench/results/fuzz.json``: examples run
per platform, what the calls ended in, failures found (the goal is 0) and the first
falsifying example of each failure.

    .venv/bin/python -m bench.fuzz --examples 2000
    .venv/bin/python -m bench.fuzz --minutes 10 --platforms shopify,miva
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hypothesis import settings

from bench.common import write_result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.carts.helpers import scripted_server
from tests.carts.test_fuzz import PLATFORMS, HostileCart, Stats, fuzz_platform

CHUNK = 200
"""Examples per hypothesis run when running for a number of minutes (each run starts from a
new random seed: the long profile is not derandomized)."""


def run_platform(
    platform: str, cart: HostileCart, *, examples: int | None, seconds: float | None
) -> dict[str, Any]:
    total = Stats()
    failures: list[str] = []
    started = time.monotonic()
    rounds = 0
    while True:
        size = CHUNK if seconds is not None else (examples or 0)
        config = settings(settings.get_profile("seom-fuzz-long"), max_examples=size)
        stats = Stats()
        try:
            stats = fuzz_platform(platform, cart, config, stats)
        except Exception as exc:  # one failure found: keep its report, go on searching
            failures.append("".join(traceback.format_exception(exc))[-4000:])
            print(f"  {platform}: FAILURE\n{failures[-1]}", flush=True)
        total.examples += stats.examples
        total.requests += stats.requests
        for outcome, count in stats.outcomes.items():
            total.outcomes[outcome] = total.outcomes.get(outcome, 0) + count
        rounds += 1
        if seconds is None or time.monotonic() - started >= seconds:
            break
    elapsed = time.monotonic() - started
    print(
        f"{platform:12s} {total.examples:6d} examples, {total.requests:6d} requests, "
        f"{total.outcomes}, {len(failures)} failures, {elapsed:.0f} s",
        flush=True,
    )
    return {
        "examples": total.examples,
        "requests": total.requests,
        "outcomes": total.outcomes,
        "failures": len(failures),
        "failure_reports": failures,
        "seconds": round(elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--examples", type=int, default=1000, help="examples per platform")
    group.add_argument("--minutes", type=float, help="run each platform this long instead")
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--result", default="fuzz", help="name of the JSON result file")
    args = parser.parse_args(argv)
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    unknown = sorted(set(platforms) - set(PLATFORMS))
    if unknown:
        parser.error(f"unknown platforms: {', '.join(unknown)}")
    # The connectors log every hostile answer they skip; the report is the result file.
    logging.getLogger("seom_desktop").setLevel(logging.CRITICAL)
    seconds = args.minutes * 60 if args.minutes is not None else None
    results: dict[str, Any] = {}
    started = time.monotonic()
    cart = HostileCart()
    # The loopback server prints a traceback for every connection the client dropped on
    # purpose (a refused oversized answer); those are not findings.
    with (
        open(os.devnull, "w") as quiet,
        contextlib.redirect_stderr(quiet),
        scripted_server(cart) as cart.server,
    ):
        for platform in platforms:
            results[platform] = run_platform(
                platform, cart, examples=args.examples, seconds=seconds
            )
    failures = sum(r["failures"] for r in results.values())
    path = write_result(
        args.result,
        {
            "examples_per_platform": {p: r["examples"] for p, r in results.items()},
            "examples": sum(r["examples"] for r in results.values()),
            "failures": failures,
            "seconds": round(time.monotonic() - started, 1),
            "mode": {"examples": args.examples} if seconds is None else {"minutes": args.minutes},
            "platforms": results,
        },
    )
    print(f"{failures} failures; written to {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
