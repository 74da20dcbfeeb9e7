"""The HTTP contract of a real django-oscar + django-oscar-api shop that the Oscar connector uses.

Plain ``requests`` against the ``oscar_site`` fixture (django-oscar 4.2, django-oscar-api
3.3, SQLite). What is pinned here:

- Read all stock in ONE request: ``GET /api/admin/products/`` (staff, Basic auth) lists
  every product with its stock records nested (``partner_sku``, ``num_in_stock``,
  ``num_allocated``); the nested records have no ``id`` field, their id is the last
  segment of their ``url`` (``.../api/admin/stockrecords/{id}/``). The public
  ``GET /api/products/`` only has ``url, id, upc, title``, so without admin rights it is
  one request plus one ``GET /api/products/{id}/stockrecords/`` per product.
- Lists are plain JSON arrays unless the site sets a DRF pagination class; then they
  are ``{"count", "next", "previous", "results"}`` pages to follow through ``next``.
- Set stock (absolute): ``PATCH /api/admin/stockrecords/{id}/ {"num_in_stock": N}``
  -> 200 with the whole record. No credentials or a wrong password -> 401 with
  ``WWW-Authenticate: Basic realm="api"``; unknown id -> 404; not an integer, or
  negative -> 400 ``{"num_in_stock": [...]}``; numeric strings are coerced (``"+1"``
  sets 1: there is no delta); ``null`` is accepted and empties the field.
- Untracked stock: the product's class has ``track_stock=False``; its stock record has
  ``num_in_stock: null``; availability has no ``num_available`` and is always buyable.
- Oscar sells ``num_in_stock - num_allocated`` (allocated = ordered, not yet shipped);
  setting ``num_in_stock`` leaves ``num_allocated`` alone.

Tests here change OSC-001 .. OSC-009 only; OSC-010 .. OSC-020 keep their seeded stock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from oscar_site.launch import OscarProduct, OscarSite, migrated_template, start_oscar_site

pytestmark = pytest.mark.slow

TIMEOUT = 30
_ADMIN_RECORD_URL = re.compile(r"/api/admin/stockrecords/(\d+)/$")


def _read_only(site: OscarSite) -> list[OscarProduct]:
    return [p for sku, p in sorted(site.products.items()) if int(sku[4:]) >= 10]


def _record_url(site: OscarSite, sku: str) -> str:
    return f"{site.api_url}admin/stockrecords/{site.products[sku].stockrecord_id}/"


def _get(site: OscarSite, path: str, *, auth: bool = True) -> Any:
    response = requests.get(site.api_url + path, auth=site.auth if auth else None, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def _patch(site: OscarSite, sku: str, body: Any, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", site.auth)
    return requests.patch(_record_url(site, sku), json=body, timeout=TIMEOUT, **kwargs)


def _num_in_stock(site: OscarSite, sku: str) -> int | None:
    return _get(site, f"admin/stockrecords/{site.products[sku].stockrecord_id}/")["num_in_stock"]


@pytest.fixture(scope="module")
def admin_products(oscar_site: OscarSite) -> dict[str, dict[str, Any]]:
    """``GET /api/admin/products/`` once, keyed by upc (= SKU)."""
    return {p["upc"]: p for p in _get(oscar_site, "admin/products/")}


# --- reading stock ---------------------------------------------------------------------


def test_site_runs_on_loopback(oscar_site: OscarSite) -> None:
    assert oscar_site.running
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", oscar_site.base_url)
    assert "products" in _get(oscar_site, "", auth=False)


def test_public_product_list_is_one_unpaginated_array(oscar_site: OscarSite) -> None:
    products = _get(oscar_site, "products/", auth=False)
    assert isinstance(products, list)
    assert {p["upc"]: p["id"] for p in products} == {
        sku: p.product_id for sku, p in oscar_site.products.items()
    }
    assert set(products[0]) == {"url", "id", "upc", "title"}  # no stock here


def test_admin_product_list_nests_every_stock_record(
    oscar_site: OscarSite, admin_products: dict[str, dict[str, Any]]
) -> None:
    assert set(admin_products) == set(oscar_site.products)
    for sku, product in admin_products.items():
        expected = oscar_site.products[sku]
        assert product["id"] == expected.product_id
        assert product["product_class"] == ("tracked" if expected.tracked else "untracked")
        [record] = product["stockrecords"]
        assert "id" not in record  # the id is only in the url
        match = _ADMIN_RECORD_URL.search(record["url"])
        assert match is not None, record["url"]
        assert int(match.group(1)) == expected.stockrecord_id
        assert record["partner_sku"] == sku
        assert record["product"] == expected.product_id
        assert "num_in_stock" in record
        assert "num_allocated" in record
    for expected in _read_only(oscar_site):
        [record] = admin_products[expected.sku]["stockrecords"]
        assert record["num_in_stock"] == expected.qoh


def test_admin_endpoints_need_credentials(oscar_site: OscarSite) -> None:
    for path in ("admin/products/", "admin/stockrecords/1/"):
        response = requests.get(oscar_site.api_url + path, timeout=TIMEOUT)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'


def test_per_product_stock_records_agree_with_admin_list(
    oscar_site: OscarSite, admin_products: dict[str, dict[str, Any]]
) -> None:
    for expected in _read_only(oscar_site):
        records = _get(oscar_site, f"products/{expected.product_id}/stockrecords/", auth=False)
        [record] = records
        assert record["id"] == expected.stockrecord_id  # public records do carry an id
        assert record["partner_sku"] == expected.sku
        assert record["num_in_stock"] == expected.qoh
        [admin_record] = admin_products[expected.sku]["stockrecords"]
        assert record["num_in_stock"] == admin_record["num_in_stock"]
    assert _get(oscar_site, "products/999999/stockrecords/", auth=False) == []


def test_untracked_stock(oscar_site: OscarSite) -> None:
    classes = {c["slug"]: c for c in _get(oscar_site, "admin/productclasses/")}
    assert classes["tracked"]["track_stock"] is True
    assert classes["untracked"]["track_stock"] is False

    untracked = [p for p in _read_only(oscar_site) if not p.tracked]
    assert [p.sku for p in untracked] == ["OSC-010", "OSC-015", "OSC-020"]
    for product in untracked:
        assert _num_in_stock(oscar_site, product.sku) is None
        availability = _get(oscar_site, f"products/{product.product_id}/availability/")
        assert availability == {"is_available_to_buy": True, "message": "Available"}

    tracked = oscar_site.products["OSC-011"]
    availability = _get(oscar_site, f"products/{tracked.product_id}/availability/")
    assert availability["num_available"] == tracked.qoh


# --- setting stock ---------------------------------------------------------------------


def test_patch_sets_num_in_stock_absolutely(oscar_site: OscarSite) -> None:
    for value in (42, 0, 5):
        response = _patch(oscar_site, "OSC-001", {"num_in_stock": value})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["num_in_stock"] == value
        assert body["partner_sku"] == "OSC-001"
        assert _num_in_stock(oscar_site, "OSC-001") == value
    product_id = oscar_site.products["OSC-001"].product_id
    [record] = _get(oscar_site, f"products/{product_id}/stockrecords/", auth=False)
    assert record["num_in_stock"] == 5
    assert _num_in_stock(oscar_site, "OSC-011") == oscar_site.products["OSC-011"].qoh


def test_unauthenticated_patch_is_refused(oscar_site: OscarSite) -> None:
    before = _num_in_stock(oscar_site, "OSC-002")
    for auth in (None, (oscar_site.username, "wrong-password")):
        response = _patch(oscar_site, "OSC-002", {"num_in_stock": 99}, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'
        assert "detail" in response.json()
    assert _num_in_stock(oscar_site, "OSC-002") == before


def test_patch_of_unknown_stock_record_is_404(oscar_site: OscarSite) -> None:
    unknown = max(p.stockrecord_id for p in oscar_site.products.values()) + 1000
    response = requests.patch(
        f"{oscar_site.api_url}admin/stockrecords/{unknown}/",
        json={"num_in_stock": 1},
        auth=oscar_site.auth,
        timeout=TIMEOUT,
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No StockRecord matches the given query."}


@pytest.mark.parametrize("value", ["abc", 7.5, True, [], {}, -1])
def test_patch_rejects_non_integer_or_negative(oscar_site: OscarSite, value: Any) -> None:
    before = _num_in_stock(oscar_site, "OSC-003")
    response = _patch(oscar_site, "OSC-003", {"num_in_stock": value})
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["num_in_stock"]
    assert isinstance(errors["num_in_stock"], list)
    assert _num_in_stock(oscar_site, "OSC-003") == before


def test_patch_coerces_numeric_strings_and_has_no_delta(oscar_site: OscarSite) -> None:
    assert _patch(oscar_site, "OSC-004", {"num_in_stock": "7"}).json()["num_in_stock"] == 7
    assert _patch(oscar_site, "OSC-004", {"num_in_stock": 7.0}).json()["num_in_stock"] == 7
    # "+1" is not "one more": it is parsed as the integer 1.
    assert _patch(oscar_site, "OSC-004", {"num_in_stock": "+1"}).json()["num_in_stock"] == 1
    assert _num_in_stock(oscar_site, "OSC-004") == 1


def test_patch_null_empties_num_in_stock(oscar_site: OscarSite) -> None:
    response = _patch(oscar_site, "OSC-006", {"num_in_stock": None})
    assert response.status_code == 200
    assert _num_in_stock(oscar_site, "OSC-006") is None


def test_num_allocated_is_subtracted_from_what_oscar_sells(oscar_site: OscarSite) -> None:
    product = oscar_site.products["OSC-007"]
    response = _patch(oscar_site, "OSC-007", {"num_in_stock": 10, "num_allocated": 3})
    assert response.status_code == 200
    availability = _get(oscar_site, f"products/{product.product_id}/availability/")
    assert availability["num_available"] == 7

    # Setting num_in_stock alone keeps the allocation.
    body = _patch(oscar_site, "OSC-007", {"num_in_stock": 12}).json()
    assert (body["num_in_stock"], body["num_allocated"]) == (12, 3)
    availability = _get(oscar_site, f"products/{product.product_id}/availability/")
    assert availability["num_available"] == 9


# --- the launcher's other options ------------------------------------------------------


@pytest.fixture
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OscarSite]:
    template = migrated_template(tmp_path_factory.getbasetemp() / "oscar-template")
    products: dict[str, int | None] = {f"PG-{n}": n for n in range(7)}
    with start_oscar_site(
        tmp_path_factory.mktemp("oscar-paged"), products, template_db=template, page_size=3
    ) as site:
        yield site
    assert not site.running


def test_paginated_site_pages_lists_and_stops(paged_site: OscarSite) -> None:
    url: str | None = f"{paged_site.api_url}admin/products/"
    pages = []
    while url is not None:
        response = requests.get(url, auth=paged_site.auth, timeout=TIMEOUT)
        assert response.status_code == 200
        pages.append(response.json())
        url = pages[-1]["next"]
    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert {page["count"] for page in pages} == {7}
    seen = {
        p["upc"]: p["stockrecords"][0]["num_in_stock"] for page in pages for p in page["results"]
    }
    assert seen == {f"PG-{n}": n for n in range(7)}

    base_url = paged_site.base_url
    paged_site.stop()
    assert not paged_site.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/api/", timeout=TIMEOUT)
