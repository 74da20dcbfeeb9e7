"""Magento 2 MSI sandbox: bearer auth, source items (read, write, limits), orders."""

from __future__ import annotations

import pytest
import requests

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}
SOURCE_ITEMS = "/inventory/source-items"


@pytest.fixture
def cart(sandbox):
    return sandbox("magento", catalog=CATALOG)


def api(http: requests.Session, cart, method: str, path: str, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {"Authorization": f"Bearer {cart.secret}"})
    return http.request(method, cart.url + "/rest/V1" + path, headers=headers, timeout=10, **kwargs)


def criteria(page_size: int | None = None, page: int | None = None, **filters: str) -> dict:
    params: dict[str, object] = {}
    if page_size is not None:
        params["searchCriteria[pageSize]"] = page_size
    if page is not None:
        params["searchCriteria[currentPage]"] = page
    for n, (field, spec) in enumerate(filters.items()):
        condition, _, value = spec.partition(":")
        prefix = f"searchCriteria[filter_groups][{n}][filters][0]"
        params[f"{prefix}[field]"] = field
        params[f"{prefix}[value]"] = value
        params[f"{prefix}[condition_type]"] = condition
    return params or {"searchCriteria": ""}


def save(http, cart, *items: dict) -> requests.Response:
    return api(http, cart, "POST", SOURCE_ITEMS, json={"sourceItems": list(items)})


def item(sku: str, quantity: object, status: int | None = 1, source: str = "default") -> dict:
    out = {"sku": sku, "source_code": source, "quantity": quantity}
    if status is not None:
        out["status"] = status
    return out


def stats(http, cart) -> dict:
    return http.get(cart.url + "/_sandbox/stats", timeout=10).json()


def test_auth_refused(cart, http) -> None:
    r = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(), headers={})
    assert r.status_code == 401
    assert r.json()["message"] == "The consumer isn't authorized to access %resources."
    r = api(
        http, cart, "GET", SOURCE_ITEMS, params=criteria(), headers={"Authorization": "Bearer x"}
    )
    assert r.status_code == 401
    r = api(
        http,
        cart,
        "GET",
        SOURCE_ITEMS,
        params=criteria(),
        headers={"Authorization": f"Basic {cart.secret}"},
    )
    assert r.status_code == 401
    r = http.get(
        cart.url + "/rest/default/V1" + SOURCE_ITEMS,
        params=criteria(),
        headers={"Authorization": f"Bearer {cart.secret}"},
        timeout=10,
    )
    assert r.status_code == 200
    assert api(http, cart, "GET", "/nothing/here").status_code == 404


def test_read_paging_and_filters(cart, http) -> None:
    r = api(http, cart, "GET", SOURCE_ITEMS)
    assert r.status_code == 400  # searchCriteria is required
    assert r.json()["parameters"] == {"fieldName": "searchCriteria"}
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria()).json()
    assert body["total_count"] == 5
    assert len(body["items"]) == 5  # no limits, no page size: one page
    assert body["items"][0] == {"sku": "A1", "source_code": "default", "quantity": 10, "status": 1}
    untracked = body["items"][1]
    assert (untracked["sku"], untracked["quantity"], untracked["status"]) == ("B2", 0, 1)
    assert body["items"][2]["status"] == 0  # C3: quantity 0, out of stock
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(2, 2)).json()
    assert [i["sku"] for i in body["items"]] == ["C3", "D4"]
    assert body["search_criteria"]["page_size"] == 2
    assert body["search_criteria"]["current_page"] == 2
    # past the last page Magento answers the last page again: stop on total_count
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(2, 9)).json()
    assert [i["sku"] for i in body["items"]] == ["E5"]
    assert body["total_count"] == 5
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(sku="eq:D4")).json()
    assert [i["sku"] for i in body["items"]] == ["D4"]
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(sku="in:E5,A1,ZZ")).json()
    assert [i["sku"] for i in body["items"]] == ["A1", "E5"]
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(quantity="gt:5")).json()
    assert [i["sku"] for i in body["items"]] == ["A1", "D4"]
    params = {
        **criteria(sku="like:%1"),
        "searchCriteria[sortOrders][0][field]": "quantity",
        "searchCriteria[sortOrders][0][direction]": "DESC",
    }
    assert [
        i["sku"] for i in api(http, cart, "GET", SOURCE_ITEMS, params=params).json()["items"]
    ] == ["A1"]
    camel = {
        "searchCriteria[filterGroups][0][filters][0][field]": "sku",
        "searchCriteria[filterGroups][0][filters][0][value]": "C3",
        "searchCriteria[filterGroups][0][filters][0][conditionType]": "eq",
    }
    body = api(http, cart, "GET", SOURCE_ITEMS, params=camel).json()
    assert [i["sku"] for i in body["items"]] == ["C3"]
    r = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(sku="between:1"))
    assert r.status_code == 400


def test_clamp_can_be_turned_off(sandbox, http) -> None:
    cart = sandbox("magento", catalog=CATALOG, clamp_pages=False)
    assert api(http, cart, "GET", SOURCE_ITEMS, params=criteria(2, 9)).json()["items"] == []


def test_write_is_absolute_and_all_or_nothing(cart, http) -> None:
    r = save(http, cart, item("A1", 4), item("D4", 0, status=0))
    assert (r.status_code, r.json()) == (200, [])
    assert cart.inventory() == {**CATALOG, "A1": 4, "D4": 0}
    cases = [
        (item("ZZ", 1), "Validation Failed"),
        (item("D4", 1, source="warehouse9"), "Could not save Source Item"),
        (item("D4", None), "Validation Failed"),
        (item("D4", "many"), "Validation Failed"),
        (item("D4", 1.5), "Validation Failed"),
        (item("D4", 1, status=7), "Validation Failed"),
        (item("D4", 1, source="de fault"), "Validation Failed"),
        ({"sku": "", "source_code": "default", "quantity": 1}, "Validation Failed"),
    ]
    for bad, message in cases:
        r = save(http, cart, item("A1", 9), bad)
        assert r.status_code == 400, bad
        assert r.json()["message"] == message
    assert cart.inventory()["A1"] == 4
    r = save(http, cart)
    assert (r.status_code, r.json()["message"]) == (400, "Input data is empty")
    r = api(http, cart, "POST", SOURCE_ITEMS, json={"items": []})
    assert r.json()["parameters"] == {"fieldName": "sourceItems"}
    assert save(http, cart, item("A1", 6.0)).status_code == 200  # a whole float is fine
    assert cart.inventory()["A1"] == 6


def test_status_is_kept_as_sent(cart, http) -> None:
    save(http, cart, item("C3", 5, status=None))  # C3 was out of stock; status not sent
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(sku="eq:C3")).json()
    assert body["items"][0] == {"sku": "C3", "source_code": "default", "quantity": 5, "status": 0}
    assert stats(http, cart)["magento"]["out_of_stock_with_quantity"] == ["C3"]
    save(http, cart, item("C3", 5, status=1))
    assert stats(http, cart)["magento"]["out_of_stock_with_quantity"] == []


def test_untracked_and_other_sources(sandbox, http) -> None:
    cart = sandbox("magento", catalog=CATALOG, sources=["default", "east"])
    assert save(http, cart, item("B2", 5), item("A1", 2, source="east")).status_code == 200
    assert cart.inventory() == CATALOG  # untracked ignored; another source is not the catalogue
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(source_code="eq:east")).json()
    assert body["items"] == [{"sku": "A1", "source_code": "east", "quantity": 2, "status": 1}]
    assert api(http, cart, "GET", SOURCE_ITEMS, params=criteria()).json()["total_count"] == 6
    counters = stats(http, cart)["magento"]
    assert (counters["untracked_ignored"], counters["other_source_items"]) == (1, 1)


def test_unknown_sku_accept_mode_mimics_magento(sandbox, http) -> None:
    cart = sandbox("magento", catalog=CATALOG, unknown_sku="accept")
    assert save(http, cart, item("GHOST", 3)).status_code == 200
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(sku="eq:GHOST")).json()
    assert body["items"][0]["quantity"] == 3
    assert "GHOST" not in cart.inventory()
    assert stats(http, cart)["magento"]["unknown_sku_accepted"] == 1


def test_input_limits(sandbox, http) -> None:
    cart = sandbox("magento", catalog={f"S{n:03d}": n for n in range(40)}, input_limit=20)
    r = save(http, cart, *[item(f"S{n:03d}", 1) for n in range(21)])
    assert r.status_code == 400
    assert r.json() == {
        "message": 'Maximum items of type "%type" is %max',
        "parameters": {
            "type": "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface",
            "max": 20,
        },
    }
    assert cart.inventory()["S005"] == 5
    assert save(http, cart, *[item(f"S{n:03d}", 1) for n in range(20)]).status_code == 200
    assert cart.inventory()["S005"] == 1
    r = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(301, 1))
    assert r.status_code == 400
    assert r.json() == {
        "message": "Maximum SearchCriteria pageSize is %max",
        "parameters": {"max": 300},
    }
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria(300, 1)).json()
    assert len(body["items"]) == 40
    body = api(http, cart, "GET", SOURCE_ITEMS, params=criteria()).json()
    assert len(body["items"]) == 20  # the default page size when limits are on
    assert body["total_count"] == 40


def test_faults(cart, http) -> None:
    http.post(cart.url + "/_sandbox/faults", json={"faults": "lost=1"}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        save(http, cart, item("E5", 1))
    assert cart.inventory()["E5"] == 1
    http.post(cart.url + "/_sandbox/faults", json={"faults": "drop=1"}, timeout=10)
    with pytest.raises(requests.ConnectionError):
        save(http, cart, item("E5", 2))
    assert cart.inventory()["E5"] == 1  # a drop happens before anything is applied
    http.post(cart.url + "/_sandbox/faults", json={"faults": ""}, timeout=10)
    assert stats(http, cart)["faults"]["lost"] == 1


def test_orders_import(cart, http) -> None:
    for lines in ([{"sku": "A1", "qty": 2}], [{"sku": "D4", "qty": 1}, {"sku": "B2", "qty": 4}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    body = api(http, cart, "GET", "/orders", params=criteria(entity_id="gt:1001")).json()
    assert body["total_count"] == 1
    (order,) = body["items"]
    assert order["increment_id"] == "000001002"
    assert [(i["sku"], i["qty_ordered"]) for i in order["items"]] == [("D4", 1), ("B2", 4)]
    body = api(
        http, cart, "GET", "/orders", params=criteria(created_at="gteq:2000-01-01 00:00:00")
    ).json()
    assert [o["entity_id"] for o in body["items"]] == [1001, 1002]
    assert api(http, cart, "GET", "/orders/1001").json()["items"][0]["sku"] == "A1"
    assert api(http, cart, "GET", "/orders/999").status_code == 404
    assert api(http, cart, "GET", "/orders").status_code == 400
    assert cart.inventory()["A1"] == 8
