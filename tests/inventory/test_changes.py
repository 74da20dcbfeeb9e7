"""The one way QOH changes: SQL arithmetic, one ledger row, the right stack rows, atomically."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.inventory import changes, kits
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.lines import Line
from seom_desktop.inventory.products import set_web_fields
from seom_desktop.store import Store, params
from seom_desktop.store.models import Cart, StackStatus
from tests.inventory.helpers import WS, ledger, make_shop, qoh, stack_rows


def adjust(store: Store, change: QohChange) -> changes.AppliedChange:
    with store.write() as session:
        return apply_change(session, change, WS)


def test_a_change_moves_qoh_and_writes_ledger_and_stack_rows(store: Store) -> None:
    carts = make_shop(store, {"A1": 10})
    applied = adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, delta=5, reason="Count"))
    assert (applied.qoh_before, applied.delta, applied.qoh_after) == (10, 5, 15)
    assert qoh(store, "A1") == 15
    entry = ledger(store)[-1]
    assert (entry.source, entry.qoh_before, entry.delta, entry.qoh_after, entry.reason) == (
        "manual adjustment",
        10,
        5,
        15,
        "Count",
    )
    assert entry.workstation == WS
    rows = stack_rows(store)
    assert sorted(r.cart_id for r in rows) == sorted(carts.values())
    for row in rows:
        assert (row.cart_sku, row.delta, row.attempts, row.last_response) == ("A1", 5, 0, "")
        assert row.status == StackStatus.PENDING
        assert row.origin_workstation == WS
        assert row.ledger_id == entry.id
    assert len({r.idempotency_key for r in rows}) == len(rows)


def test_setting_a_quantity_records_the_delta(store: Store) -> None:
    make_shop(store, {"A1": 10})
    applied = adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, set_to=40))
    assert applied.delta == 30
    assert [r.delta for r in stack_rows(store)] == [30, 30]


def test_an_unchanged_quantity_is_recorded_but_not_sent(store: Store) -> None:
    make_shop(store, {"A1": 10})
    applied = adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, set_to=10))
    assert applied.delta == 0
    assert ledger(store)[-1].delta == 0
    assert stack_rows(store) == []


def test_nothing_is_sent_while_synchqoh_is_false(store: Store) -> None:
    make_shop(store, {"A1": 10}, synch=False)
    adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, delta=-1))
    assert stack_rows(store) == []
    assert qoh(store, "A1") == 9


def test_send_to_web_sites_cleared(store: Store) -> None:
    make_shop(store, {"A1": 10})
    adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, delta=-1, send_to_web=False))
    assert stack_rows(store) == []
    assert ledger(store)[-1].send_to_web is False


def test_the_cart_an_order_came_from_is_not_told(store: Store) -> None:
    carts = make_shop(
        store, {"A1": 10}, {"Shop": "shopify", "Woo": "woocommerce", "Gen": "generic"}
    )
    adjust(
        store,
        QohChange("A1", Source.IMPORTED_ORDER, delta=-2, origin_cart_id=carts["Shop"]),
    )
    assert sorted(r.cart_id for r in stack_rows(store)) == sorted([carts["Woo"], carts["Gen"]])


def test_inactive_unsynchronized_and_non_realtime_carts_are_skipped(store: Store) -> None:
    carts = make_shop(
        store,
        {"A1": 10},
        {"On": "shopify", "Inactive": "shopify", "Unticked": "woocommerce", "Phone": "manual"},
    )
    with store.write() as session:
        session.execute(update(Cart).where(Cart.name == "Inactive").values(active=False))
        session.execute(update(Cart).where(Cart.name == "Unticked").values(sync_inventory=False))
        # A manual channel cannot take real-time changes even if its flag is set somehow.
        session.execute(update(Cart).where(Cart.name == "Phone").values(sync_inventory=True))
    adjust(store, QohChange("A1", Source.POS_SALE, delta=-1))
    assert [r.cart_id for r in stack_rows(store)] == [carts["On"]]


def test_web_fields_rename_or_exclude_a_product_per_cart(store: Store) -> None:
    carts = make_shop(store, {"A1": 10, "B2": 5})
    with store.write() as session:
        set_web_fields(session, "A1", "Shopify", cart_sku="SHOP-A1")
        set_web_fields(session, "A1", "Woo", sync_qoh=False)
    adjust(store, QohChange("A1", Source.PO_RECEIPT, delta=100, document="PO-1"))
    adjust(store, QohChange("B2", Source.PO_RECEIPT, delta=1))
    rows = [(r.cart_id, r.cart_sku, r.delta) for r in stack_rows(store)]
    assert rows == [
        (carts["Shopify"], "SHOP-A1", 100),
        (carts["Shopify"], "B2", 1),
        (carts["Woo"], "B2", 1),
    ]


def test_an_unknown_sku_changes_nothing(store: Store) -> None:
    make_shop(store, {"A1": 10})
    before = len(ledger(store))
    with pytest.raises(NotFoundError, match="did you mean 'A1'"):
        adjust(store, QohChange("a1", Source.MANUAL_ADJUSTMENT, delta=1))
    with pytest.raises(NotFoundError):
        adjust(store, QohChange("ZZ", Source.MANUAL_ADJUSTMENT, set_to=3))
    assert len(ledger(store)) == before
    assert stack_rows(store) == []


def test_no_change_commits_without_its_stack_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_shop(store, {"A1": 10})

    def broken(*_args: object) -> list[tuple[int, str]]:
        raise RuntimeError("disk full while writing the stack")

    monkeypatch.setattr(changes, "stack_targets", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        adjust(store, QohChange("A1", Source.MANUAL_ADJUSTMENT, delta=7))
    assert qoh(store, "A1") == 10
    assert [e.source for e in ledger(store)] == ["new product"]


def test_several_changes_commit_together_or_not_at_all(store: Store) -> None:
    make_shop(store, {"A1": 10, "B2": 5})
    with pytest.raises(NotFoundError), store.write() as session:
        changes.apply_changes(
            session,
            [
                QohChange("A1", Source.MANUAL_ORDER, delta=-1),
                QohChange("NOPE", Source.MANUAL_ORDER, delta=-1),
            ],
            WS,
        )
    assert qoh(store, "A1") == 10
    assert stack_rows(store) == []


@pytest.mark.parametrize("kwargs", [{"delta": 2_000_000_000}, {"set_to": -1}, {"set_to": 10**12}])
def test_impossible_quantities_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(InputError):
        QohChange("A1", Source.MANUAL_ADJUSTMENT, **kwargs)


def test_qoh_may_go_below_zero_when_stock_is_oversold(store: Store) -> None:
    make_shop(store, {"A1": 1})
    adjust(store, QohChange("A1", Source.IMPORTED_ORDER, delta=-3))
    assert qoh(store, "A1") == -2


def test_parameters_are_read_in_the_changing_transaction(store: Store) -> None:
    make_shop(store, {"A1": 1})
    with store.write() as session:
        params.set_value(session, "SynchQOH", False)
        apply_change(session, QohChange("A1", Source.MANUAL_ADJUSTMENT, delta=1), WS)
    assert stack_rows(store) == []


def test_set_quantities_writes_what_apply_change_would(store: Store) -> None:
    """Get QOH's bulk path and the one-change path leave the same ledger and stack rows."""
    carts = make_shop(store, {"A1": 10, "B2": 5, "C3": 7})
    with store.write() as session:
        set_web_fields(session, "B2", "Woo", sync_qoh=False)
    with store.write() as session:
        bulk = changes.set_quantities(
            session,
            {"A1": 4, "B2": 9, "C3": 7},
            source=Source.GET_QOH,
            workstation=WS,
            origin_cart_id=carts["Shopify"],
        )
    assert {s: (a.qoh_before, a.delta, a.qoh_after) for s, a in bulk.items()} == {
        "A1": (10, -6, 4),
        "B2": (5, 4, 9),
        "C3": (7, 0, 7),
    }
    assert (qoh(store, "A1"), qoh(store, "B2"), qoh(store, "C3")) == (4, 9, 7)
    rows = stack_rows(store)
    # Only Woo hears (Shopify is the origin), and not of B2 (excluded there) nor of C3.
    assert [(r.cart_id, r.cart_sku, r.delta) for r in rows] == [(carts["Woo"], "A1", -6)]
    assert bulk["A1"].stack_row_ids == (rows[0].id,)
    entries = ledger(store)[-3:]
    assert [(e.sku, e.source, e.delta, e.origin_cart_id) for e in entries] == [
        ("A1", "Get QOH", -6, carts["Shopify"]),
        ("B2", "Get QOH", 4, carts["Shopify"]),
        ("C3", "Get QOH", 0, carts["Shopify"]),
    ]
    assert rows[0].ledger_id == entries[0].id


def test_set_quantities_refuses_unknown_products_and_kits(store: Store) -> None:
    make_shop(store, {"A1": 10, "KIT": 0})
    with store.write() as session:
        kits.define_kit(session, "KIT", [Line("A1", 2)], WS)
    for targets, error in [({"A1": 3, "NOPE": 1}, NotFoundError), ({"KIT": 9}, InputError)]:
        with pytest.raises(error), store.write() as session:
            changes.set_quantities(session, targets, source=Source.GET_QOH, workstation=WS)
    assert qoh(store, "A1") == 10
    with store.write() as session:
        changes.set_quantities(session, {"A1": 7}, source=Source.GET_QOH, workstation=WS)
    assert qoh(store, "KIT") == 3  # the kit followed its component
