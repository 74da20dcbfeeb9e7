"""Several workstation processes changing the same products at once lose nothing.

4 processes x 2,000 adjustments of the same 50 SKUs, on one SQLite file and on PostgreSQL,
with 3 synchronized carts: every change lands exactly once, the ledger of every product is one
unbroken chain (each row's "before" is the previous row's "after"), every change has its three
stack rows, and no worker ever sees "database is locked".
"""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise

import pytest
from sqlalchemy import func, select

from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.store import Store, open_store
from seom_desktop.store.models import LedgerEntry, Product, StackRow
from tests.inventory.helpers import make_shop

PROCESSES = 4
CHANGES_EACH = 2000
SKUS = [f"SKU-{i:02d}" for i in range(50)]
START = 1000


def adjust_many(location: str, worker: int, count: int) -> dict[str, int]:
    """One workstation: ``count`` adjustments, each its own transaction, as a clerk makes them."""
    rng = random.Random(worker)
    moved: Counter[str] = Counter()
    with open_store(location) as store:
        for _ in range(count):
            sku = rng.choice(SKUS)
            delta = rng.choice([-3, -2, -1, 1, 2, 3])
            with store.write() as session:
                apply_change(
                    session,
                    QohChange(sku, Source.MANUAL_ADJUSTMENT, delta=delta),
                    f"WS-{worker}",
                )
            moved[sku] += delta
    return dict(moved)


def run_workers(location: str) -> Counter[str]:
    total: Counter[str] = Counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
        futures = [
            pool.submit(adjust_many, location, worker, CHANGES_EACH) for worker in range(PROCESSES)
        ]
        for future in futures:
            total.update(future.result())  # a "database is locked" would be raised here
    return total


@pytest.mark.slow
def test_four_processes_lose_no_update(store: Store, store_location: str) -> None:
    make_shop(
        store,
        dict.fromkeys(SKUS, START),
        {"Shop": "shopify", "Woo": "woocommerce", "Gen": "generic"},
    )
    moved = run_workers(store_location)

    with store.read() as session:
        qoh = dict(session.execute(select(Product.sku, Product.qoh)).all())
        assert qoh == {sku: START + moved[sku] for sku in SKUS}
        changes = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.source == Source.MANUAL_ADJUSTMENT.value)
        )
        assert changes == PROCESSES * CHANGES_EACH
        rows = session.scalar(select(func.count()).select_from(StackRow))
        assert rows == 3 * PROCESSES * CHANGES_EACH
        for sku in SKUS:
            chain = session.execute(
                select(LedgerEntry.qoh_before, LedgerEntry.delta, LedgerEntry.qoh_after)
                .where(LedgerEntry.sku == sku)
                .order_by(LedgerEntry.id)
            ).all()
            assert chain[0].qoh_before == 0
            assert chain[-1].qoh_after == qoh[sku]
            for earlier, later in pairwise(chain):
                assert later.qoh_before == earlier.qoh_after
            stack_total = session.scalar(
                select(func.sum(StackRow.delta)).where(StackRow.cart_sku == sku)
            )
            assert stack_total == 3 * moved[sku]
