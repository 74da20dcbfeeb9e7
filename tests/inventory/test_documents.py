"""Where QOH changes come from: manual orders, POS sales, cancellations, purchase orders and
kits, each through the one domain function, each in the ledger with its source and document,
each told to the carts that must hear of it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.inventory import kits, orders, purchasing
from seom_desktop.inventory.changes import QohChange, Source, apply_change
from seom_desktop.inventory.lines import Line, parse_line, parse_lines
from seom_desktop.store import Store
from seom_desktop.store import carts as cart_records
from seom_desktop.store.models import Order, OrderKind, OrderLine, Product
from tests.inventory.helpers import WS, ledger, make_shop, qoh, stack_rows


def L(*pairs: tuple[str, int]) -> list[Line]:
    return [Line(sku, qty) for sku, qty in pairs]


def rows_by_cart(store: Store, sku: str) -> dict[int, int]:
    """Cart id -> the sum of the pending deltas for ``sku``."""
    out: dict[int, int] = {}
    for row in stack_rows(store):
        if row.cart_sku == sku:
            out[row.cart_id] = out.get(row.cart_id, 0) + row.delta
    return out


# -- lines ----------------------------------------------------------------------------------
def test_lines_parse_merge_and_refuse_bad_quantities() -> None:
    assert parse_line("A1:3") == Line("A1", 3)
    assert parse_line(" A1 ") == Line("A1", 1)
    assert parse_line("PART:7:2") == Line("PART:7", 2)
    assert parse_lines(["A1:2", "B2", "A1:3"]) == [Line("A1", 5), Line("B2", 1)]
    for bad in ["A1:0", "A1:-2", "A1:1.5", "A1:two", ":3"]:
        with pytest.raises(InputError):
            parse_line(bad)
    with pytest.raises(InputError, match="at least one"):
        parse_lines([])


# -- manual orders, POS, cancellation -------------------------------------------------------
def test_a_manual_order_lowers_qoh_and_notifies_every_cart(store: Store) -> None:
    carts = make_shop(store, {"A1": 10, "B2": 5})
    with store.write() as session:
        placed = orders.add_order(session, L(("A1", 3), ("B2", 1)), WS)
    assert (qoh(store, "A1"), qoh(store, "B2")) == (7, 4)
    assert rows_by_cart(store, "A1") == {cid: -3 for cid in carts.values()}
    assert placed.queued_rows == 4
    entries = [e for e in ledger(store) if e.source == Source.MANUAL_ORDER.value]
    assert [(e.sku, e.delta, e.document) for e in entries] == [
        ("A1", -3, str(placed.number)),
        ("B2", -1, str(placed.number)),
    ]


def test_an_order_from_a_channel_is_not_told_back_to_that_channel(store: Store) -> None:
    carts = make_shop(store, {"A1": 10}, {"Shopify": "shopify", "Woo": "woocommerce"})
    with store.write() as session:
        orders.add_order(session, L(("A1", 2)), WS, cart_name="shopify")
    assert rows_by_cart(store, "A1") == {carts["Woo"]: -2}


def test_an_unknown_sku_refuses_the_whole_order(store: Store) -> None:
    make_shop(store, {"A1": 10})
    with pytest.raises(NotFoundError, match="NOPE"), store.write() as session:
        orders.add_order(session, L(("A1", 1), ("NOPE", 1)), WS)
    assert qoh(store, "A1") == 10
    with store.read() as session:
        assert session.scalars(select(Order)).all() == []
    assert stack_rows(store) == []


def test_a_pos_sale_and_its_cancellation(store: Store) -> None:
    carts = make_shop(store, {"A1": 10})
    with store.write() as session:
        sale = orders.pos_sale(session, L(("A1", 4)), WS)
    assert sale.kind is OrderKind.POS
    assert qoh(store, "A1") == 6
    with store.write() as session:
        orders.cancel_order(session, sale.number, WS)
    assert qoh(store, "A1") == 10
    assert rows_by_cart(store, "A1") == {cid: 0 for cid in carts.values()}
    assert [(e.source, e.delta) for e in ledger(store)[-2:]] == [
        ("POS sale", -4),
        ("order cancelled", 4),
    ]
    with pytest.raises(InputError, match="already cancelled"), store.write() as session:
        orders.cancel_order(session, sale.number, WS)
    with pytest.raises(NotFoundError), store.write() as session:
        orders.cancel_order(session, 999, WS)
    assert qoh(store, "A1") == 10


# -- purchase orders ------------------------------------------------------------------------
def test_receiving_a_po_tells_every_cart_plus_the_quantity(store: Store) -> None:
    carts = make_shop(store, {"A1": 5, "B2": 0})
    with store.write() as session:
        number = purchasing.create_po(session, "Acme", L(("A1", 100), ("B2", 10)), WS)
    with store.write() as session:
        purchasing.receive_po(session, number, L(("A1", 100)), WS)
    assert qoh(store, "A1") == 105
    assert rows_by_cart(store, "A1") == {cid: 100 for cid in carts.values()}
    with store.read() as session:
        po = purchasing.get_po(session, number)
    assert po.status == "partly received"
    assert [(x.sku, x.received, x.outstanding) for x in po.lines] == [
        ("A1", 100, 0),
        ("B2", 0, 10),
    ]
    entry = ledger(store)[-1]
    assert (entry.source, entry.document, entry.reason) == ("PO receipt", str(number), "Acme")
    with store.write() as session:
        purchasing.receive_po(session, number, None, WS)  # all outstanding
    assert qoh(store, "B2") == 10
    with store.read() as session:
        assert purchasing.get_po(session, number).status == "received"


def test_over_receiving_changes_nothing(store: Store) -> None:
    make_shop(store, {"A1": 5, "B2": 0})
    with store.write() as session:
        number = purchasing.create_po(session, "Acme", L(("A1", 10), ("B2", 3)), WS)
    for bad, message in [
        (L(("B2", 1), ("A1", 11)), "10 ordered, 0 already received"),
        (L(("C3", 1)), "not on purchase order"),
    ]:
        with pytest.raises(InputError, match=message), store.write() as session:
            purchasing.receive_po(session, number, bad, WS)
    assert (qoh(store, "A1"), qoh(store, "B2")) == (5, 0)
    with store.read() as session:
        assert all(x.received == 0 for x in purchasing.get_po(session, number).lines)
    with store.write() as session:
        purchasing.receive_po(session, number, None, WS)
    with pytest.raises(InputError, match="nothing left"), store.write() as session:
        purchasing.receive_po(session, number, None, WS)


def test_two_clerks_receiving_the_same_po_never_receive_more_than_ordered(store: Store) -> None:
    make_shop(store, {"A1": 0}, {})
    with store.write() as session:
        number = purchasing.create_po(session, "Acme", L(("A1", 10)), WS)
    errors: list[Exception] = []

    def clerk() -> None:
        for _ in range(4):
            try:
                with store.write() as session:
                    purchasing.receive_po(session, number, L(("A1", 2)), WS)
            except InputError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert qoh(store, "A1") == 10  # 5 receipts of 2 succeed, 3 are refused
    assert len(errors) == 3


# -- kits -----------------------------------------------------------------------------------
def make_kit_shop(store: Store) -> dict[str, int]:
    carts = make_shop(store, {"A": 10, "B": 7, "C": 3, "KIT": 0, "KIT2": 0})
    with store.write() as session:
        kits.define_kit(session, "KIT", L(("A", 2), ("B", 1)), WS)
        kits.define_kit(session, "KIT2", L(("A", 1), ("C", 1)), WS)
    return carts


def test_a_kit_qoh_is_derived_from_its_components_and_pushed(store: Store) -> None:
    carts = make_kit_shop(store)
    assert qoh(store, "KIT") == 5  # min(10 // 2, 7 // 1)
    assert qoh(store, "KIT2") == 3
    assert rows_by_cart(store, "KIT") == {cid: 5 for cid in carts.values()}
    entry = [e for e in ledger(store) if e.sku == "KIT"][-1]
    assert (entry.source, entry.delta, entry.qoh_after) == ("kit definition", 5, 5)


def test_selling_a_kit_lowers_its_components_and_every_kit_sharing_them(store: Store) -> None:
    carts = make_kit_shop(store)
    shopify = carts["Shopify"]
    with store.write() as session:
        placed = orders.add_order(session, L(("KIT", 2)), WS, cart_name="Shopify")
    assert (qoh(store, "A"), qoh(store, "B"), qoh(store, "C")) == (6, 5, 3)
    assert (qoh(store, "KIT"), qoh(store, "KIT2")) == (3, 3)
    # Components go to every cart, the selling cart too (it sold a kit, not the parts)...
    assert rows_by_cart(store, "A") == {cid: -4 for cid in carts.values()}
    # ...the kit's own change is not told back to the cart that sold it.
    kit_rows = {cid: d for cid, d in rows_by_cart(store, "KIT").items() if d != 5}
    assert shopify not in kit_rows
    kit_entry = [e for e in ledger(store) if e.sku == "KIT"][-1]
    assert (kit_entry.source, kit_entry.delta, kit_entry.document) == (
        "manual order",
        -2,
        str(placed.number),
    )
    assert {c.sku for c in placed.changes[0].related} == {"A", "B"}


def test_a_component_change_moves_the_kits_that_contain_it(store: Store) -> None:
    carts = make_kit_shop(store)
    with store.write() as session:
        applied = apply_change(session, QohChange("C", Source.MANUAL_ADJUSTMENT, set_to=0), WS)
    assert qoh(store, "KIT2") == 0
    assert [(k.sku, k.delta) for k in applied.related] == [("KIT2", -3)]
    assert rows_by_cart(store, "KIT2") == {cid: 0 for cid in carts.values()}  # +3 then -3
    entry = ledger(store)[-1]
    assert (entry.sku, entry.source, entry.reason) == (
        "KIT2",
        "manual adjustment",
        "kit: C changed",
    )
    with store.write() as session:
        apply_change(session, QohChange("A", Source.POS_SALE, delta=-14), WS)
    assert qoh(store, "KIT") == 0  # never below zero


def test_a_kit_cannot_be_adjusted_received_nested_or_empty(store: Store) -> None:
    make_kit_shop(store)
    for change in [
        QohChange("KIT", Source.MANUAL_ADJUSTMENT, delta=1),
        QohChange("KIT", Source.GET_QOH, set_to=9),
        QohChange("KIT", Source.PO_RECEIPT, delta=1),
    ]:
        with pytest.raises(InputError, match="derived from its components"), store.write() as s:
            apply_change(s, change, WS)
    with pytest.raises(InputError, match="kit"), store.write() as session:
        purchasing.create_po(session, "Acme", L(("KIT", 1)), WS)
    for kit, parts, message in [
        ("KIT", L(("KIT2", 1)), "kits cannot contain kits"),
        ("A", L(("B", 1)), "component of kit"),
        ("KIT", L(("KIT", 1)), "itself"),
        ("KIT", L(("NOPE", 1)), "no product"),
    ]:
        with pytest.raises((InputError, NotFoundError), match=message), store.write() as s:
            kits.define_kit(s, kit, parts, WS)
    with store.read() as session:
        assert kits.kit_info(session, "KIT").components == (Line("A", 2), Line("B", 1))
    assert qoh(store, "KIT") == 5


def test_cancelling_a_kit_order_returns_the_components(store: Store) -> None:
    make_kit_shop(store)
    with store.write() as session:
        placed = orders.pos_sale(session, L(("KIT", 1), ("C", 1)), WS)
    with store.write() as session:
        orders.cancel_order(session, placed.number, WS)
    assert [qoh(store, s) for s in ("A", "B", "C", "KIT", "KIT2")] == [10, 7, 3, 5, 3]


# -- imported orders (the connector side is in tests/carts/test_order_import.py) -----------
def test_the_same_cart_order_is_stored_once(store: Store) -> None:
    carts = make_shop(store, {"A1": 10})
    with store.read() as session:
        cart = cart_records.snapshot(cart_records.get_cart(session, "Shopify"))
    placed = []
    for _ in range(2):
        with store.write() as session:
            placed.append(
                orders.place_order(
                    session,
                    L(("A1", 2), ("GONE", 1)),
                    WS,
                    kind=OrderKind.IMPORTED,
                    cart=cart,
                    cart_order_number="1001",
                )
            )
    assert placed[1] is None
    assert placed[0] is not None and placed[0].unknown_skus == ("GONE",)
    assert qoh(store, "A1") == 8
    assert rows_by_cart(store, "A1") == {carts["Woo"]: -2}
    with store.read() as session:
        lines = session.execute(select(OrderLine.sku, OrderLine.product_id)).all()
        assert sorted((sku, pid is None) for sku, pid in lines) == [("A1", False), ("GONE", True)]
        assert session.scalar(select(Product.qoh).where(Product.sku == "A1")) == 8
    entry = ledger(store)[-1]
    assert (entry.source, entry.reason, entry.origin_cart_id) == (
        "imported order",
        "Shopify order 1001",
        carts["Shopify"],
    )
