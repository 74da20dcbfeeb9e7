"""WooCommerce REST v3 sandbox: auth, paging, absolute updates, batches, orders."""

from __future__ import annotations

import pytest
import requests

BASE = "/wp-json/wc/v3"
CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}


@pytest.fixture
def cart(sandbox):
    return sandbox("woocommerce", catalog=CATALOG)


def api(http: requests.Session, cart, method: str, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", (cart.user, cart.secret))
    return http.request(method, cart.url + BASE + path, timeout=10, **kwargs)


def all_products(http: requests.Session, cart) -> dict[str, dict]:
    r = api(
        http, cart, "GET", "/products", params={"per_page": 100, "orderby": "id", "order": "asc"}
    )
    return {p["sku"]: p for p in r.json()}


def test_fields_keeps_only_the_fields_asked_for(cart, http) -> None:
    full = api(http, cart, "GET", "/products", params={"per_page": 100})
    assert {"description", "price", "_links", "stock_quantity"} <= set(full.json()[0])
    r = api(
        http,
        cart,
        "GET",
        "/products",
        params={
            "per_page": 100,
            "orderby": "id",
            "order": "asc",
            "_fields": "id,sku,stock_quantity,nope",
        },
    )
    assert r.status_code == 200
    assert [set(p) for p in r.json()] == [{"id", "sku", "stock_quantity"}] * len(CATALOG)
    assert {p["sku"]: p["stock_quantity"] for p in r.json()} == CATALOG
    assert r.headers["X-WP-Total"] == full.headers["X-WP-Total"]
    # the array form, and a field of an object
    r = api(
        http,
        cart,
        "GET",
        "/products",
        params=[("per_page", "1"), ("_fields[]", "sku"), ("_fields[]", "dimensions.width")],
    )
    (record,) = r.json()
    assert record == {"sku": record["sku"], "dimensions": {"width": ""}}
    pid = all_products(http, cart)["A1"]["id"]
    r = api(http, cart, "GET", f"/products/{pid}", params={"_fields": "sku,manage_stock"})
    assert r.json() == {"sku": "A1", "manage_stock": True}


def test_auth_refused(cart, http) -> None:
    r = api(http, cart, "GET", "/products", auth=None)
    assert r.status_code == 401
    assert r.json()["code"] == "woocommerce_rest_cannot_view"
    r = api(http, cart, "GET", "/products", auth=("ck_wrong", cart.secret))
    assert (r.status_code, r.json()["code"]) == (401, "woocommerce_rest_authentication_error")
    r = api(http, cart, "GET", "/products", auth=(cart.user, "cs_wrong"))
    assert r.status_code == 401
    r = api(http, cart, "POST", "/products/batch", auth=None, json={"update": []})
    assert r.json()["code"] == "woocommerce_rest_cannot_batch"
    r = api(
        http,
        cart,
        "GET",
        "/products",
        auth=None,
        params={"consumer_key": cart.user, "consumer_secret": cart.secret},
    )
    assert r.status_code == 200


def test_paging_headers_and_limits(cart, http) -> None:
    r = api(http, cart, "GET", "/products", params={"per_page": 2, "page": 1, "order": "asc"})
    assert r.headers["X-WP-Total"] == "5"
    assert r.headers["X-WP-TotalPages"] == "3"
    assert [p["sku"] for p in r.json()] == ["A1", "B2"]
    r = api(http, cart, "GET", "/products", params={"per_page": 2, "page": 3, "order": "asc"})
    assert [p["sku"] for p in r.json()] == ["E5"]
    r = api(http, cart, "GET", "/products", params={"per_page": 2, "page": 4})
    assert r.json() == []
    r = api(http, cart, "GET", "/products", params={"per_page": 2})  # default: newest first
    assert [p["sku"] for p in r.json()] == ["E5", "D4"]
    r = api(http, cart, "GET", "/products", params={"per_page": 101})
    assert (r.status_code, r.json()["code"]) == (400, "rest_invalid_param")
    assert api(http, cart, "GET", "/products", params={"page": 0}).status_code == 400
    assert len(api(http, cart, "GET", "/products").json()) == 5  # default per_page is 10


def test_product_json_and_untracked(cart, http) -> None:
    products = all_products(http, cart)
    assert products["A1"]["manage_stock"] is True
    assert products["A1"]["stock_quantity"] == 10
    assert products["A1"]["type"] == "simple"
    assert products["B2"]["manage_stock"] is False
    assert products["B2"]["stock_quantity"] is None
    assert products["C3"]["stock_status"] == "outofstock"
    r = api(http, cart, "GET", "/products", params={"sku": "D4"})
    assert [p["sku"] for p in r.json()] == ["D4"]


def test_put_is_absolute(cart, http) -> None:
    products = all_products(http, cart)
    r = api(http, cart, "PUT", f"/products/{products['A1']['id']}", json={"stock_quantity": 4})
    assert r.json()["stock_quantity"] == 4
    assert cart.inventory()["A1"] == 4
    # not managed: the quantity is ignored, as WooCommerce does
    r = api(http, cart, "PUT", f"/products/{products['B2']['id']}", json={"stock_quantity": 6})
    assert r.json()["stock_quantity"] is None
    assert cart.inventory()["B2"] is None
    r = api(
        http,
        cart,
        "PUT",
        f"/products/{products['B2']['id']}",
        json={"manage_stock": True, "stock_quantity": 6},
    )
    assert (r.json()["manage_stock"], r.json()["stock_quantity"]) == (True, 6)
    r = api(http, cart, "PUT", "/products/999999", json={"stock_quantity": 1})
    assert (r.status_code, r.json()["code"]) == (400, "woocommerce_rest_product_invalid_id")
    r = api(http, cart, "PUT", f"/products/{products['A1']['id']}", json={"stock_quantity": "x"})
    assert r.status_code == 400
    r = api(
        http,
        cart,
        "PUT",
        f"/products/{products['A1']['id']}",
        data="{oops",
        headers={"Content-Type": "application/json"},
    )
    assert r.json()["code"] == "rest_invalid_json"
    assert api(http, cart, "GET", "/products/999999").status_code == 404


def test_batch_per_item_results(cart, http) -> None:
    products = all_products(http, cart)
    body = {
        "update": [
            {"id": products["A1"]["id"], "stock_quantity": 1},
            {"id": 424242, "stock_quantity": 5},
            {"id": products["D4"]["id"], "stock_quantity": 2},
        ]
    }
    r = api(http, cart, "POST", "/products/batch", json=body)
    assert r.status_code == 200
    results = r.json()["update"]
    assert results[0]["stock_quantity"] == 1
    assert results[1]["id"] == 424242
    assert results[1]["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert results[2]["stock_quantity"] == 2
    assert cart.inventory()["A1"] == 1
    assert cart.inventory()["D4"] == 2
    assert cart.stats.to_json()["changes_applied"] == 2


def test_batch_limit_is_413_and_applies_nothing(cart, http) -> None:
    products = all_products(http, cart)
    body = {"update": [{"id": products["A1"]["id"], "stock_quantity": 1}] * 60, "delete": [1] * 41}
    r = api(http, cart, "POST", "/products/batch", json=body)
    assert r.status_code == 413
    assert r.json()["code"] == "woocommerce_rest_request_entity_too_large"
    assert cart.inventory() == CATALOG
    body = {"update": [{"id": products["A1"]["id"], "stock_quantity": 1}] * 100}
    assert api(http, cart, "POST", "/products/batch", json=body).status_code == 200


def test_batch_create_and_delete(cart, http) -> None:
    r = api(
        http,
        cart,
        "POST",
        "/products/batch",
        json={"create": [{"sku": "NEW", "manage_stock": True, "stock_quantity": 3}, {"sku": "A1"}]},
    )
    created = r.json()["create"]
    assert created[0]["sku"] == "NEW"
    assert created[1]["error"]["code"] == "product_invalid_sku"
    assert cart.inventory()["NEW"] == 3
    r = api(http, cart, "POST", "/products/batch", json={"delete": [created[0]["id"], 5]})
    deleted = r.json()["delete"]
    assert deleted[0]["sku"] == "NEW"
    assert "error" in deleted[1]
    assert "NEW" not in cart.inventory()


def test_variations(sandbox, http) -> None:
    cart = sandbox("woocommerce", catalog={"SHIRT/S": 2, "SHIRT/M": 5, "MUG": 1}, variations=True)
    products = all_products(http, cart)
    assert set(products) == {"SHIRT", "MUG"}
    shirt = products["SHIRT"]
    assert shirt["type"] == "variable"
    assert len(shirt["variations"]) == 2
    r = api(http, cart, "GET", f"/products/{shirt['id']}/variations", params={"order": "asc"})
    variations = {v["sku"]: v for v in r.json()}
    assert variations["SHIRT/M"]["stock_quantity"] == 5
    vid = variations["SHIRT/M"]["id"]
    r = api(
        http, cart, "PUT", f"/products/{shirt['id']}/variations/{vid}", json={"stock_quantity": 9}
    )
    assert r.json()["stock_quantity"] == 9
    assert cart.inventory()["SHIRT/M"] == 9
    r = api(http, cart, "PUT", f"/products/{products['MUG']['id']}/variations/{vid}", json={})
    assert r.status_code in (400, 404)
    r = api(
        http,
        cart,
        "POST",
        f"/products/{shirt['id']}/variations/batch",
        json={
            "update": [
                {"id": vid, "stock_quantity": 1},
                {"id": products["MUG"]["id"], "stock_quantity": 1},
            ]
        },
    )
    results = r.json()["update"]
    assert results[0]["stock_quantity"] == 1
    assert "error" in results[1]
    assert cart.inventory() == {"SHIRT/S": 2, "SHIRT/M": 1, "MUG": 1}
    r = api(
        http,
        cart,
        "POST",
        f"/products/{shirt['id']}/variations/batch",
        json={"update": [{"id": vid, "stock_quantity": 1}] * 101},
    )
    assert r.status_code == 413


def test_rate_limit(sandbox, http, clock) -> None:
    cart = sandbox(
        "woocommerce", catalog=CATALOG, rate_limit_rps=1, rate_limit_burst=1, clock=clock
    )
    assert api(http, cart, "GET", "/products").status_code == 200
    r = api(http, cart, "GET", "/products")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "1"
    clock.advance(1)
    assert api(http, cart, "GET", "/products").status_code == 200


def test_orders_import(cart, http) -> None:
    for lines in ([{"sku": "A1", "qty": 2}], [{"sku": "D4", "qty": 1}, {"sku": "B2", "qty": 4}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    r = api(http, cart, "GET", "/orders", params={"per_page": 1, "page": 1, "order": "asc"})
    assert r.headers["X-WP-Total"] == "2"
    assert r.headers["X-WP-TotalPages"] == "2"
    (first,) = r.json()
    assert first["number"] == "1001"
    assert [(li["sku"], li["quantity"]) for li in first["line_items"]] == [("A1", 2)]
    r = api(http, cart, "GET", "/orders", params={"per_page": 1, "page": 2, "order": "asc"})
    assert [(li["sku"], li["quantity"]) for li in r.json()[0]["line_items"]] == [
        ("D4", 1),
        ("B2", 4),
    ]
    r = api(http, cart, "GET", "/orders", params={"after": "2000-01-01T00:00:00", "per_page": 100})
    assert [o["number"] for o in r.json()] == ["1002", "1001"]
    r = api(http, cart, "GET", "/orders", params={"after": first["date_created_gmt"]})
    assert all(o["date_created_gmt"] > first["date_created_gmt"] for o in r.json())
    assert api(http, cart, "GET", "/orders", params={"after": "yesterday"}).status_code == 400
    assert api(http, cart, "GET", "/orders", params={"per_page": 101}).status_code == 400
    assert api(http, cart, "GET", "/orders/1002").json()["id"] == 1002
    assert cart.inventory()["A1"] == 8
