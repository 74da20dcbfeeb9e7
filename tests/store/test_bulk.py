"""The bulk helpers write what SQLAlchemy would have written, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Integer, String, bindparam, select

from seom_desktop.inventory import products
from seom_desktop.store import Store, bulk
from seom_desktop.store.models import LedgerEntry, Product

LEDGER = LedgerEntry.__table__
PRODUCTS = Product.__table__
COLUMNS = (
    "id",
    "product_id",
    "sku",
    "source",
    "created_at",
    "workstation",
    "qoh_before",
    "delta",
    "qoh_after",
    "reason",
    "send_to_web",
)


def _add(store: Store, *skus: str) -> None:
    with store.write() as session:
        for sku in skus:
            products.add_product(session, sku, "WS", qoh=10)


def test_reserved_ids_are_new_and_rows_written_with_them_read_back(store: Store) -> None:
    _add(store, "A", "B")
    when = datetime(2026, 12, 5, 1, 2, 3, 456789, tzinfo=UTC)
    with store.write() as session:
        ids = {p.sku: p.id for p in session.scalars(select(Product))}
        existing = set(session.scalars(select(LedgerEntry.id)))
        first = bulk.reserve_ids(session, LEDGER, 2)
        assert len(set(first)) == 2
        assert not set(first) & existing
        bulk.insert_many(
            session,
            LEDGER,
            COLUMNS,
            [
                (
                    lid,
                    ids[sku],
                    sku,
                    "Get QOH",
                    bulk.driver_value(session, LEDGER.c.created_at, when),
                    "WS",
                    10,
                    d,
                    10 + d,
                    "",
                    True,
                )
                for lid, (sku, d) in zip(first, [("A", 5), ("B", -3)], strict=True)
            ],
        )
        # An ordinary insert afterwards takes an id after the reserved ones.
        later = bulk.reserve_ids(session, LEDGER, 1)
        assert later[0] > max(first)
    with store.read() as session:
        rows = {
            r.id: r for r in session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(first)))
        }
    assert [(rows[i].sku, rows[i].delta, rows[i].send_to_web) for i in first] == [
        ("A", 5, True),
        ("B", -3, True),
    ]
    # The stored time reads back as the same instant SQLAlchemy itself would have stored.
    assert all(r.created_at.replace(tzinfo=UTC) == when for r in rows.values())


def test_add_to_column_is_arithmetic_on_each_row(store: Store) -> None:
    _add(store, "A", "B", "C")
    with store.write() as session:
        ids = {p.sku: p.id for p in session.scalars(select(Product))}
        bulk.add_to_column(session, PRODUCTS, "qoh", [(5, ids["A"]), (-15, ids["C"])])
    with store.read() as session:
        assert {s: q for s, q in session.execute(select(Product.sku, Product.qoh))} == {
            "A": 15,
            "B": 10,
            "C": -5,
        }


def _skus_where(store: Store, column: Any, values: list[Any]) -> set[str]:
    """The SKUs of the products whose ``column`` is one of ``values`` (bulk.one_of)."""
    item = Integer if column is Product.id else String
    with store.read() as session:
        return set(
            session.scalars(
                select(Product.sku).where(
                    bulk.one_of(column, bindparam("v", type_=bulk.ValueList(item)))
                ),
                {"v": values},
            )
        )


@pytest.mark.parametrize("wanted", [[], ["B"], ["A", "C", "nope", "A"]])
def test_one_of_matches_exactly_the_listed_values(store: Store, wanted: list[str]) -> None:
    _add(store, "A", "B", "C", 'it\'s "quoted"')
    with store.read() as session:
        ids = {sku: pid for sku, pid in session.execute(select(Product.sku, Product.id))}
    by_sku = _skus_where(store, Product.sku, wanted)
    by_id = _skus_where(store, Product.id, [ids[s] for s in wanted if s in ids])
    assert by_sku == by_id == {s for s in wanted if s in ids}


def test_one_of_takes_awkward_strings(store: Store) -> None:
    odd = ['it\'s "quoted"', "comma,sku", "ünïcode", "back\\slash"]
    _add(store, *odd, "plain")
    assert _skus_where(store, Product.sku, odd) == set(odd)


def test_a_misspelt_column_fails_before_any_sql(store: Store) -> None:
    with store.write() as session, pytest.raises(KeyError):
        bulk.insert_many(session, LEDGER, ("id", "skuu"), [(1, "A")])
