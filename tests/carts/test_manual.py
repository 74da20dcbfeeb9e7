"""Manual / no-sync channels (phone, counter, a marketplace without an API): orders are entered
or imported for them, but they take no QOH. Their capabilities say so, no connector exists,
and their orders still reach every synchronized cart."""

from __future__ import annotations

import pytest

from seom_desktop.carts.platforms import platform
from seom_desktop.carts.registry import connector_for, has_connector
from seom_desktop.errors import InputError
from seom_desktop.inventory.changes import QohChange, Source, apply_change, realtime_platforms
from seom_desktop.inventory.qoh_sync import get_qoh, send_qoh
from seom_desktop.store import Store
from tests.inventory.helpers import WS, ledger, make_shop, qoh, stack_rows

from .helpers import cart_info


def test_a_manual_channel_has_no_qoh_capability() -> None:
    caps = platform("manual").capabilities
    assert not (caps.push or caps.pull or caps.realtime or caps.delta or caps.orders)
    assert "manual" not in realtime_platforms()
    assert not has_connector("manual")
    with pytest.raises(InputError, match="does not exchange quantities with SEOM Desktop"):
        connector_for(cart_info("manual", "", name="Phone"))


def test_send_and_get_qoh_refuse_a_manual_channel(sqlite_store: Store) -> None:
    make_shop(sqlite_store, {"A1": 5}, {"Phone": "manual"})
    with pytest.raises(InputError, match="no \\[Send QOH To Website\\]"):
        send_qoh(sqlite_store, "Phone", WS)
    with pytest.raises(InputError, match="no \\[Get QOH From Website\\]"):
        get_qoh(sqlite_store, "Phone", WS)


def test_an_order_of_a_manual_channel_notifies_every_synchronized_cart(store: Store) -> None:
    carts = make_shop(
        store,
        {"A1": 10, "B2": 4},
        {
            "Phone": "manual",
            "Shopify": "shopify",
            "Woo": "woocommerce",
            "BC": "bigcommerce",
            "Miva": "miva",
            "Magento": "magento",
        },
    )
    with store.write() as session:
        apply_change(
            session,
            QohChange(
                "A1",
                Source.IMPORTED_ORDER,
                delta=-3,
                document="PHONE-1",
                origin_cart_id=carts["Phone"],
            ),
            WS,
        )
    assert qoh(store, "A1") == 7
    rows = stack_rows(store)
    synchronized = {carts[n] for n in ("Shopify", "Woo", "BC", "Miva", "Magento")}
    assert {r.cart_id for r in rows} == synchronized
    assert len(rows) == len(synchronized)
    assert all((r.cart_sku, r.delta) == ("A1", -3) for r in rows)
    entry = ledger(store)[-1]
    assert (entry.source, entry.origin_cart_id, entry.delta) == (
        "imported order",
        carts["Phone"],
        -3,
    )
