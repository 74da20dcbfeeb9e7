"""The soak (bench/soak.py), short, in CI: three workstations adjusting, selling, receiving and
importing orders at once, web sales on the carts, one shared controller. At the end every cart
equals the store, nothing is left pending, and no order was imported twice."""

from __future__ import annotations

import pytest

from bench.soak import run_soak


@pytest.mark.slow
def test_mixed_load_ends_with_every_cart_equal(store_location: str) -> None:
    report = run_soak(store_location, seconds=25, sample_every=1.0, seed=5)
    assert report["errors"] == []
    assert report["web_sale_failures"] == []
    assert report["qoh_mismatches"] == 0, report["mismatch_detail"]
    assert report["rows_pending"] == 0
    assert report["rows_bypassed"] == 0
    # Every source took part, and the web sales were imported (each exactly once, or the
    # store would be lower than the carts that took them).
    assert {"adjustment", "POS sale", "manual order", "order import"} <= set(report["actions"])
    assert report["web_sales"] > 0
    assert report["orders_imported"] == report["web_sales"]
    assert len(report["samples"]) >= 10
