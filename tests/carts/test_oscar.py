"""The Oscar connector against real django-oscar + django-oscar-api shops on loopback.

The shops here are this module's own (started from the migrated template, ~1.5 s each), so
the session-wide ``oscar_site`` of test_oscar_site.py keeps its seeded stock.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from oscar_site.launch import OscarSite, migrated_template, start_oscar_site

from seom_desktop.carts.base import CartError, QohSet
from seom_desktop.carts.oscar import OscarConnector
from seom_desktop.inventory import products
from seom_desktop.inventory.qoh_sync import get_qoh, send_qoh
from seom_desktop.store import carts as cart_records
from seom_desktop.store import params
from seom_desktop.store.models import LedgerEntry
from tests.inventory.helpers import WS, ledger, qoh, stack_rows

from .helpers import cart_info

pytestmark = pytest.mark.slow

SEED: dict[str, int | None] = {
    "RD-1": 4,
    "RD-2": None,
    "RD-3": 0,
    "ST-1": 1,
    "ST-2": None,
    "ST-3": 2,
    "AL-1": 10,
    "E2E-1": 3,
    "E2E-2": 8,
    "E2E-3": None,
    "E2E-4": 6,
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OscarSite]:
    template = migrated_template(tmp_path_factory.getbasetemp() / "oscar-template")
    with start_oscar_site(
        tmp_path_factory.mktemp("oscar-conn"), SEED, template_db=template
    ) as site:
        yield site


def info(site: OscarSite, **kwargs):
    return cart_info("oscar", site.base_url, site.username, site.password, **kwargs)


def record(site: OscarSite, sku: str) -> dict:
    url = f"{site.api_url}admin/stockrecords/{site.products[sku].stockrecord_id}/"
    response = requests.get(url, auth=site.auth, timeout=30)
    assert response.status_code == 200
    return response.json()


def patch(site: OscarSite, sku: str, **fields: int) -> None:
    url = f"{site.api_url}admin/stockrecords/{site.products[sku].stockrecord_id}/"
    assert requests.patch(url, json=fields, auth=site.auth, timeout=30).status_code == 200


def test_connection_and_credentials(shop: OscarSite) -> None:
    with OscarConnector(info(shop)) as conn:
        assert "django-oscar-api" in conn.test_connection()
    bad = cart_info("oscar", shop.base_url + "/api/", shop.username, "wrong-Pa55")
    with OscarConnector(bad) as conn, pytest.raises(CartError) as caught:
        conn.test_connection()
    assert caught.value.status == 401
    assert "wrong-Pa55" not in str(caught.value)


def test_reads_every_stock_record_in_one_request(shop: OscarSite) -> None:
    with OscarConnector(info(shop)) as conn:
        pages = list(conn.iter_qoh())
        assert len(pages) == 1
        found = {q.sku: q.qoh for q in pages[0]}
        assert {sku: found[sku] for sku in ("RD-1", "RD-2", "RD-3")} == {
            "RD-1": 4,
            "RD-2": None,
            "RD-3": 0,
        }
        assert conn.read_qoh(["RD-1", "NOPE"]) == {"RD-1": 4}


def test_set_per_item(shop: OscarSite) -> None:
    with OscarConnector(info(shop)) as conn:
        results = [
            conn.set_qoh([QohSet(sku, q)])[0]
            for sku, q in (("ST-1", 7), ("ST-2", 3), ("NOPE", 1), ("ST-3", -1))
        ]
    assert [r.status.value for r in results] == ["ok", "not tracked", "not found", "error"]
    assert results[0].cart_qoh == 7
    assert results[3].code == "400"
    assert record(shop, "ST-1")["num_in_stock"] == 7
    assert record(shop, "ST-2")["num_in_stock"] is None
    assert record(shop, "ST-3")["num_in_stock"] == 2


def test_allocated_units_are_kept_out_of_the_quantity(shop: OscarSite) -> None:
    """Oscar sells num_in_stock - num_allocated: that is the store's QOH."""
    patch(shop, "AL-1", num_in_stock=10, num_allocated=3)
    with OscarConnector(info(shop)) as conn:
        assert conn.read_qoh(["AL-1"]) == {"AL-1": 7}
        # an order is allocated after the read: the PATCH answer shows it, written again
        patch(shop, "AL-1", num_allocated=4)
        [result] = conn.set_qoh([QohSet("AL-1", 5)])
    assert (result.status.value, result.cart_qoh) == ("ok", 5)
    assert (record(shop, "AL-1")["num_in_stock"], record(shop, "AL-1")["num_allocated"]) == (9, 4)


def test_paginated_site_is_followed_through_next(tmp_path_factory) -> None:
    template = migrated_template(tmp_path_factory.getbasetemp() / "oscar-template")
    seed = {f"PG-{n}": n for n in range(7)}
    with (
        start_oscar_site(
            tmp_path_factory.mktemp("oscar-paged-conn"), seed, template_db=template, page_size=3
        ) as site,
        OscarConnector(info(site)) as conn,
    ):
        pages = list(conn.iter_qoh())
        assert [len(p) for p in pages] == [3, 3, 1]
        assert {q.sku: q.qoh for p in pages for q in p} == seed
        assert [r.status.value for r in conn.set_qoh([QohSet("PG-6", 60)])] == ["ok"]
        assert conn.read_qoh(["PG-6"]) == {"PG-6": 60}


def test_send_and_get_qoh_end_to_end(shop: OscarSite, sqlite_store) -> None:
    with sqlite_store.write() as session:
        params.set_value(session, "SynchQOH", True)
        for sku, q in (("E2E-1", 30), ("E2E-2", 40), ("E2E-3", 5), ("E2E-4", 60), ("LOCAL", 1)):
            products.add_product(session, sku, WS, qoh=q)
        oscar = cart_records.add_cart(
            session, "Oscar", "oscar", shop.base_url, username=shop.username, secret=shop.password
        )
        other = cart_records.add_cart(session, "Other", "generic", "https://other.test/seom.php")
        cart_records.set_sync(session, "Other", True)
        products.set_web_fields(session, "E2E-4", "Oscar", sync_qoh=False)
    progress: list[tuple[int, int | None]] = []
    report = send_qoh(sqlite_store, "Oscar", WS, progress=lambda d, t: progress.append((d, t)))
    assert (report.sent, report.not_found, report.not_tracked, report.errors) == (2, 1, 1, 0)
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]  # Oscar takes one item a request
    assert record(shop, "E2E-1")["num_in_stock"] == 30
    assert record(shop, "E2E-2")["num_in_stock"] == 40
    assert record(shop, "E2E-4")["num_in_stock"] == 6  # not synchronized: untouched

    patch(shop, "E2E-1", num_in_stock=33)
    patch(shop, "E2E-4", num_in_stock=66)
    report = get_qoh(sqlite_store, "Oscar", WS)
    assert report.changed == 1
    assert report.skipped == 1  # E2E-4
    assert qoh(sqlite_store, "E2E-1") == 33
    assert qoh(sqlite_store, "E2E-4") == 60
    [entry] = [e for e in ledger(sqlite_store) if e.source == "Get QOH"]
    assert (entry.sku, entry.delta, entry.origin_cart_id) == ("E2E-1", 3, oscar.id)
    assert [(r.cart_id, r.delta) for r in stack_rows(sqlite_store) if r.ledger_id == entry.id] == [
        (other.id, 3)
    ]
    assert isinstance(entry, LedgerEntry)
