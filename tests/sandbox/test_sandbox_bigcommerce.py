"""BigCommerce sandbox: auth, inventory reads, absolute/relative adjustments, limits, orders."""

from __future__ import annotations

import pytest
import requests

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}


@pytest.fixture
def cart(sandbox):
    return sandbox("bigcommerce", catalog=CATALOG)


def api(http: requests.Session, cart, method: str, path: str, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {"X-Auth-Token": cart.secret})
    version = kwargs.pop("version", "v3")
    url = f"{cart.url}/stores/{cart.store_hash}/{version}{path}"
    return http.request(method, url, headers=headers, timeout=10, **kwargs)


def adjust(http, cart, kind: str, items: list[dict], reason: str = "test") -> requests.Response:
    method = "PUT" if kind == "absolute" else "POST"
    body = {"reason": reason, "items": items}
    return api(http, cart, method, f"/inventory/adjustments/{kind}", json=body)


def stats(http, cart) -> dict:
    return http.get(cart.url + "/_sandbox/stats", timeout=10).json()


def test_auth_refused(cart, http) -> None:
    assert api(http, cart, "GET", "/inventory/items", headers={}).status_code == 401
    r = api(http, cart, "GET", "/inventory/items", headers={"X-Auth-Token": "nope"})
    assert r.status_code == 401
    assert r.json()["status"] == 401
    r = http.get(
        f"{cart.url}/stores/otherstore/v3/inventory/items",
        headers={"X-Auth-Token": cart.secret},
        timeout=10,
    )
    assert r.status_code == 404
    assert cart.store_hash == cart.user == "sbx0store1"


def test_inventory_items_paging_and_untracked(cart, http) -> None:
    r = api(http, cart, "GET", "/inventory/items", params={"limit": 2, "page": 1})
    assert r.status_code == 200
    body = r.json()
    # B2 is untracked: not listed
    assert [d["identity"]["sku"] for d in body["data"]] == ["A1", "C3"]
    location = body["data"][0]["locations"][0]
    assert location["location_id"] == 1
    assert location["available_to_sell"] == location["total_inventory_onhand"] == 10
    pagination = body["meta"]["pagination"]
    assert (pagination["total"], pagination["count"], pagination["per_page"]) == (4, 2, 2)
    assert (pagination["current_page"], pagination["total_pages"]) == (1, 2)
    r = api(http, cart, "GET", "/inventory/items", params={"limit": 2, "page": 2})
    assert [d["identity"]["sku"] for d in r.json()["data"]] == ["D4", "E5"]
    assert r.json()["meta"]["pagination"]["links"]["next"] is None
    r = api(http, cart, "GET", "/inventory/items", params={"limit": 2, "page": 3})
    assert r.json()["data"] == []
    assert api(http, cart, "GET", "/inventory/items", params={"limit": 1001}).status_code == 422
    assert api(http, cart, "GET", "/inventory/items", params={"limit": 1000}).status_code == 200
    assert api(http, cart, "GET", "/inventory/items", params={"page": 0}).status_code == 422
    r = api(http, cart, "GET", "/inventory/items", params={"sku:in": "E5,A1,B2,ZZ"})
    assert [d["identity"]["sku"] for d in r.json()["data"]] == ["A1", "E5"]
    variant = r.json()["data"][1]["identity"]["variant_id"]
    r = api(http, cart, "GET", "/inventory/items", params={"variant_id:in": str(variant)})
    assert [d["identity"]["sku"] for d in r.json()["data"]] == ["E5"]
    r = api(http, cart, "GET", "/inventory/items", params={"location_id:in": "2"})
    assert r.json()["data"] == []


def test_absolute_and_relative(cart, http) -> None:
    r = adjust(http, cart, "absolute", [{"location_id": 1, "sku": "A1", "quantity": 4}])
    assert r.status_code == 200
    assert set(r.json()) == {"transaction_id"}
    assert cart.inventory()["A1"] == 4
    r = adjust(http, cart, "relative", [{"location_id": 1, "sku": "A1", "quantity": -3}])
    assert r.status_code == 200
    assert cart.inventory()["A1"] == 1
    items = api(http, cart, "GET", "/inventory/items", params={"sku:in": "D4"}).json()["data"]
    identity = items[0]["identity"]
    r = adjust(
        http,
        cart,
        "relative",
        [
            {"location_id": 1, "variant_id": identity["variant_id"], "quantity": 2},
            {"location_id": 1, "product_id": identity["product_id"], "quantity": 1},
        ],
    )
    assert r.status_code == 200
    assert cart.inventory()["D4"] == 10
    # the wrong verb for each endpoint
    r = api(http, cart, "POST", "/inventory/adjustments/absolute", json={"items": []})
    assert r.status_code == 405
    r = api(http, cart, "PUT", "/inventory/adjustments/relative", json={"items": []})
    assert r.status_code == 405
    assert stats(http, cart)["bigcommerce"]["absolute_items_applied"] == 1


def test_one_bad_item_refuses_the_whole_request(cart, http) -> None:
    good = {"location_id": 1, "sku": "A1", "quantity": 1}
    cases = [
        ({"location_id": 1, "sku": "NOPE", "quantity": 1}, "not found"),
        ({"location_id": 3, "sku": "D4", "quantity": 1}, "Location not found, identities: [3]"),
        ({"location_id": 1, "sku": "B2", "quantity": 1}, "tracking"),
        ({"location_id": 1, "sku": "D4", "variant_id": 1, "quantity": 1}, "payload"),
        ({"location_id": 1, "sku": "D4"}, "payload"),
        ({"location_id": 1, "sku": "D4", "quantity": "1"}, "payload"),
    ]
    for bad, title in cases:
        for kind in ("absolute", "relative"):
            r = adjust(http, cart, kind, [good, bad])
            assert r.status_code == 422, (bad, kind)
            body = r.json()
            assert title in body["title"]
            assert set(body["errors"]) == {"items[1]"}
    r = adjust(http, cart, "absolute", [{"location_id": 1, "sku": "A1", "quantity": -1}])
    assert r.status_code == 422
    assert cart.inventory() == CATALOG
    assert stats(http, cart)["changes_applied"] == 0
    r = api(
        http,
        cart,
        "PUT",
        "/inventory/adjustments/absolute",
        data="{oops",
        headers={"X-Auth-Token": cart.secret, "Content-Type": "application/json"},
    )
    assert r.status_code == 400


def test_batch_limit(cart, http) -> None:
    item = {"location_id": 1, "sku": "A1", "quantity": 1}
    r = adjust(http, cart, "relative", [item] * 2001)
    assert r.status_code == 422
    assert cart.inventory()["A1"] == 10
    r = adjust(http, cart, "relative", [item] * 2000)
    assert r.status_code == 200
    assert cart.inventory()["A1"] == 2010


def test_relative_applied_twice_is_detected(cart, http) -> None:
    item = {"location_id": 1, "sku": "A1", "quantity": -2}
    adjust(http, cart, "relative", [item], reason="row 17")
    adjust(http, cart, "relative", [item], reason="row 18")
    deltas = stats(http, cart)["bigcommerce"]["deltas"]
    assert (deltas["applications"], deltas["duplicate_count"]) == (2, 0)
    adjust(http, cart, "relative", [item], reason="row 18")  # the same request again
    deltas = stats(http, cart)["bigcommerce"]["deltas"]
    assert deltas["duplicate_count"] == 1
    assert deltas["duplicate_skus"] == ["A1"]
    assert deltas["duplicates"][0]["count"] == 2
    assert cart.inventory()["A1"] == 4


def test_rate_limit_headers_and_429(sandbox, http, clock) -> None:
    cart = sandbox("bigcommerce", catalog=CATALOG, rate_limit_quota=3, clock=clock)
    lefts = []
    for _ in range(3):
        r = api(http, cart, "GET", "/inventory/items")
        assert r.status_code == 200
        assert r.headers["X-Rate-Limit-Time-Window-Ms"] == "30000"
        assert r.headers["X-Rate-Limit-Requests-Quota"] == "3"
        assert r.headers["X-Rate-Limit-Time-Reset-Ms"] == "30000"
        lefts.append(r.headers["X-Rate-Limit-Requests-Left"])
    assert lefts == ["2", "1", "0"]
    clock.advance(10)
    r = adjust(http, cart, "relative", [{"location_id": 1, "sku": "A1", "quantity": 1}])
    assert r.status_code == 429
    assert r.headers["X-Retry-After"] == "20"
    assert r.headers["X-Rate-Limit-Requests-Left"] == "0"
    assert r.headers["X-Rate-Limit-Time-Reset-Ms"] == "20000"
    assert cart.inventory()["A1"] == 10  # nothing applied on a 429
    clock.advance(20)
    r = adjust(http, cart, "relative", [{"location_id": 1, "sku": "NOPE", "quantity": 1}])
    assert r.status_code == 422  # error answers carry the headers too
    assert r.headers["X-Rate-Limit-Requests-Left"] == "2"
    assert stats(http, cart)["rate_limited"] == 1


def test_faults_lost_applies_then_drops_the_answer(cart, http) -> None:
    http.post(cart.url + "/_sandbox/faults", json={"faults": "lost=1"}, timeout=10)
    item = {"location_id": 1, "sku": "D4", "quantity": -1}
    with pytest.raises(requests.ConnectionError):
        adjust(http, cart, "relative", [item])
    assert cart.inventory()["D4"] == 6  # applied, though the client never heard so
    http.post(cart.url + "/_sandbox/faults", json={"faults": "throttle=1"}, timeout=10)
    r = adjust(http, cart, "relative", [item])
    assert r.status_code == 429
    assert "X-Rate-Limit-Requests-Left" in r.headers
    http.post(cart.url + "/_sandbox/faults", json={"faults": ""}, timeout=10)
    adjust(http, cart, "relative", [item])  # a naive retry of the lost request
    assert cart.inventory()["D4"] == 5
    assert stats(http, cart)["bigcommerce"]["deltas"]["duplicate_skus"] == ["D4"]


def test_orders_import(cart, http) -> None:
    r = api(http, cart, "GET", "/orders", version="v2")
    assert r.status_code == 204
    assert r.content == b""
    for lines in ([{"sku": "A1", "qty": 2}], [{"sku": "D4", "qty": 1}, {"sku": "B2", "qty": 4}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    r = api(http, cart, "GET", "/orders", version="v2", params={"limit": 1, "page": 2})
    (second,) = r.json()
    assert second["id"] == 1002
    assert second["products"]["resource"] == "/orders/1002/products"
    assert second["date_created"].endswith("+0000")
    r = api(http, cart, "GET", "/orders", version="v2", params={"min_id": 1002})
    assert [o["id"] for o in r.json()] == [1002]
    r = api(
        http,
        cart,
        "GET",
        "/orders",
        version="v2",
        params={"min_date_created": "2000-01-01T00:00:00Z", "sort": "id:desc"},
    )
    assert [o["id"] for o in r.json()] == [1002, 1001]
    assert api(http, cart, "GET", "/orders", version="v2", params={"limit": 251}).status_code == 400
    r = api(http, cart, "GET", "/orders/1002/products", version="v2")
    assert [(p["sku"], p["quantity"]) for p in r.json()] == [("D4", 1), ("B2", 4)]
    assert api(http, cart, "GET", "/orders/1001", version="v2").json()["items_total"] == 2
    r = api(http, cart, "GET", "/orders/999", version="v2")
    assert r.status_code == 404
    assert r.json()[0]["status"] == 404
    assert cart.inventory()["A1"] == 8
