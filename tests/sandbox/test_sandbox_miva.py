"""Miva JSON API sandbox: auth, list queries, adjustments, multicall 206 + Range, baskets."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
import requests

CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}
NOW = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def cart(sandbox):
    return sandbox("miva", catalog=CATALOG, wall_clock=lambda: NOW)


def envelope(cart, **fields) -> dict:
    return {"Store_Code": cart.user, "Miva_Request_Timestamp": int(NOW.timestamp()), **fields}


def call(
    http: requests.Session, cart, body: dict, headers: dict | None = None, auth: str | None = None
) -> requests.Response:
    sent = {"X-Miva-API-Authorization": auth or f"MIVA {cart.secret}", **(headers or {})}
    return http.post(cart.url + "/mm5/json.mvc", json=body, headers=sent, timeout=10)


def adjust(code: str, delta: int) -> dict:
    return {
        "Function": "ProductList_Adjust_Inventory",
        "Inventory_Adjustments": [{"product_code": code, "adjustment": delta}],
    }


def stats(http, cart) -> dict:
    return http.get(cart.url + "/_sandbox/stats", timeout=10).json()


def products(http, cart, **params) -> dict:
    body = envelope(cart, Function="ProductList_Load_Query", **params)
    return call(http, cart, body).json()


def test_auth_and_envelope_refused(cart, http) -> None:
    body = envelope(cart, **adjust("A1", 1))
    r = call(http, cart, body, auth="Bearer nothing")
    assert r.status_code == 200  # errors are function results: look at success
    assert r.json()["success"] == 0
    assert r.json()["error_code"] == "invalid_authorization"
    assert call(http, cart, body, auth="MIVA wrong").json()["error_code"] == "invalid_token"
    r = call(http, cart, {**body, "Store_Code": "OTHER"})
    assert r.json()["error_code"] == "invalid_store"
    r = call(http, cart, {**body, "Miva_Request_Timestamp": int(NOW.timestamp()) - 120})
    assert r.json()["error_code"] == "request_expired"
    r = call(http, cart, {k: v for k, v in body.items() if k != "Miva_Request_Timestamp"})
    assert r.json()["error_code"] == "timestamp_required"
    assert cart.inventory()["A1"] == 10
    assert http.get(cart.url + "/mm5/json.mvc", timeout=10).status_code == 405
    assert http.post(cart.url + "/mm5/other.mvc", json={}, timeout=10).status_code == 404
    assert call(http, cart, body).json() == {"success": 1}


def test_hmac_signature(sandbox, http) -> None:
    key = base64.b64encode(b"sandbox-signing-key").decode()
    cart = sandbox("miva", catalog=CATALOG, wall_clock=lambda: NOW, signing_key=key)
    raw = json.dumps(envelope(cart, **adjust("A1", 1))).encode()
    digest = hmac.new(b"sandbox-signing-key", raw, hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()

    def send(auth: str) -> dict:
        headers = {"X-Miva-API-Authorization": auth, "Content-Type": "application/json"}
        return http.post(cart.url + "/mm5/json.mvc", data=raw, headers=headers, timeout=10).json()

    assert send(f"MIVA {cart.secret}")["error_code"] == "signature_required"
    assert send(f"MIVA-HMAC-SHA256 {cart.secret}:AAAA")["error_code"] == "invalid_signature"
    assert send(f"MIVA-HMAC-SHA256 {cart.secret}:{signature}") == {"success": 1}
    assert cart.inventory()["A1"] == 11


def test_product_list_paging_ondemand_filter_sort(cart, http) -> None:
    page = products(http, cart, Count=2, Offset=0)
    assert page["success"] == 1
    assert page["data"]["total_count"] == 5
    assert page["data"]["start_offset"] == 0
    rows = page["data"]["data"]
    assert [r["code"] for r in rows] == ["A1", "B2"]
    assert "product_inventory" not in rows[0]  # only as an on-demand column
    page = products(http, cart, Count=2, Offset=4, Ondemandcolumns=["product_inventory"])
    assert [(r["code"], r["product_inventory"]) for r in page["data"]["data"]] == [("E5", 3)]
    page = products(
        http, cart, Filter=[{"name": "ondemandcolumns", "value": ["product_inventory"]}]
    )
    rows = {r["code"]: r for r in page["data"]["data"]}  # Count 0: everything
    assert len(rows) == 5
    assert rows["B2"]["product_inventory_active"] is False
    assert rows["A1"]["product_inventory_active"] is True
    search = {"name": "search", "value": [{"field": "code", "operator": "IN", "value": "D4,A1"}]}
    page = products(http, cart, Filter=[search], Sort="-code")
    assert [r["code"] for r in page["data"]["data"]] == ["D4", "A1"]
    assert page["data"]["total_count"] == 2
    bad = products(http, cart, Sort="nonsense")
    assert bad["success"] == 0
    assert bad["error_field"] == "Sort"


def test_a_code_lookup_reads_an_index_not_the_catalogue(sandbox, http) -> None:
    """Issue #6: the connector looks up each batch's 100 codes with one ``search`` entry of
    100 ``code EQ`` conditions; the sandbox tested every condition against every product, so
    a Send QOH of 10,000 SKUs kept it at 100% CPU for minutes (O(catalogue x conditions) per
    request; here it took 7 s, beyond the request's timeout)."""
    size = 50_000
    codes = [f"SKU-{n:05d}" for n in range(size)]
    cart = sandbox("miva", catalog=dict.fromkeys(codes, 5), wall_clock=lambda: NOW)
    wanted = codes[7::500]  # 100 codes
    conditions = [{"field": "code", "operator": "EQ", "value": c} for c in wanted]
    conditions[0]["value"] = wanted[0].lower()  # Miva compares text without case
    conditions += [
        {"field": "sku", "operator": "IN", "value": f"{codes[1]}, {codes[2]}"},
        {"field": "code", "operator": "EQ", "value": "NO-SUCH-CODE"},
    ]
    search = {"name": "search", "value": conditions}
    query = {
        "Count": 500,
        "Offset": 0,
        "Sort": "id",
        "Ondemandcolumns": ["product_inventory"],
        "Filter": [search],
    }
    body = envelope(cart, Function="ProductList_Load_Query", **query)
    headers = {"X-Miva-API-Authorization": f"MIVA {cart.secret}"}
    r = http.post(cart.url + "/mm5/json.mvc", json=body, headers=headers, timeout=5)
    page = r.json()["data"]
    expected = [codes[1], codes[2], *wanted]
    assert [row["code"] for row in page["data"]] == expected
    assert page["total_count"] == 102
    assert {row["product_inventory"] for row in page["data"]} == {5}
    assert stats(http, cart)["miva"]["rows_examined"] == 102  # not 50,000

    # With another entry (ANDed) and a sort, the answer is the one a scan gives (a condition
    # the index cannot answer, in the same entry, makes it a scan).
    few = {"name": "search", "value": [*conditions[:3], *conditions[-2:]]}
    not_first = {
        "name": "search",
        "value": [{"field": "code", "operator": "NE", "value": codes[1]}],
    }
    scan = {"name": "search", "value": [*few["value"], {"field": "name", "operator": "NULL"}]}
    indexed = products(http, cart, **{**query, "Filter": [few, not_first], "Sort": "-code"})
    scanned = products(http, cart, **{**query, "Filter": [scan, not_first], "Sort": "-code"})
    assert indexed["data"] == scanned["data"]
    assert [row["code"] for row in indexed["data"]["data"]] == [*wanted[2::-1], codes[2]]

    # Products removed or added behind the index's back are seen.
    cart.catalog.remove(codes[2])
    cart.catalog.add("sku-new", 1)
    search["value"].append({"field": "code", "operator": "EQ", "value": "SKU-NEW"})
    page = products(http, cart, **query)["data"]
    assert [row["code"] for row in page["data"]] == [codes[1], *wanted, "sku-new"]


def test_adjust_and_update(cart, http) -> None:
    body = envelope(
        cart,
        Function="ProductList_Adjust_Inventory",
        Inventory_Adjustments=[
            {"product_code": "A1", "adjustment": -4},
            {"product_id": 4, "adjustment": 3},  # D4 is the fourth product
            {"product_code": "B2", "adjustment": 5},  # untracked: ignored
        ],
    )
    assert call(http, cart, body).json() == {"success": 1}
    assert cart.inventory() == {**CATALOG, "A1": 6, "D4": 10}
    body["Inventory_Adjustments"].append({"product_code": "NOPE", "adjustment": 1})
    r = call(http, cart, body).json()
    assert (r["success"], r["error_code"], r["validation_error"]) == (0, "invalid_product", 1)
    assert cart.inventory()["A1"] == 6  # one unknown product: nothing applied
    r = call(
        http,
        cart,
        envelope(cart, Function="Product_Update", Product_Code="C3", product_inventory=9),
    )
    assert r.json() == {"success": 1}
    assert cart.inventory()["C3"] == 9
    r = call(
        http,
        cart,
        envelope(cart, Function="Product_Update", Product_Code="ZZ", product_inventory=1),
    )
    assert r.json()["success"] == 0
    r = call(http, cart, envelope(cart, Function="No_Such_Function"))
    assert r.json()["error_code"] == "invalid_function"
    assert stats(http, cart)["miva"]["untracked_ignored"] == 1


def test_multicall_and_iterations(cart, http) -> None:
    body = envelope(
        cart,
        Operations=[
            adjust("A1", -1),
            {
                "Function": "ProductList_Adjust_Inventory",
                "Iterations": [
                    {"Inventory_Adjustments": [{"product_code": "D4", "adjustment": 1}]},
                    {"Inventory_Adjustments": [{"product_code": "NOPE", "adjustment": 1}]},
                ],
            },
            {"Function": "Product_Update", "Product_Code": "E5", "product_inventory": 0},
        ],
    )
    r = call(http, cart, body)
    assert r.status_code == 200
    assert "Content-Range" not in r.headers
    results = r.json()
    assert results[0] == {"success": 1}
    assert results[1][0] == {"success": 1}
    assert results[1][1]["success"] == 0
    assert results[2] == {"success": 1}
    assert cart.inventory() == {**CATALOG, "A1": 9, "D4": 8, "E5": 0}
    r = call(http, cart, {**body, "Function": "Multicall", "Operations": [adjust("A1", 1)]})
    assert r.json() == [{"success": 1}]
    r = call(http, cart, {**body, "Function": "Product_Update"})
    assert r.json()["success"] == 0  # Operations only with Function Multicall (or none)
    r = call(
        http,
        cart,
        envelope(
            cart,
            Function="ProductList_Adjust_Inventory",
            Iterations=[
                {"Inventory_Adjustments": [{"product_code": "A1", "adjustment": 1}]},
                {"Inventory_Adjustments": [{"product_code": "A1", "adjustment": 1}]},
            ],
        ),
    )
    assert r.json() == [{"success": 1}, {"success": 1}]
    assert cart.inventory()["A1"] == 12


def test_partial_206_and_range_resend_applies_only_the_rest(sandbox, http) -> None:
    cart = sandbox("miva", catalog=CATALOG, wall_clock=lambda: NOW, partial_after=2)
    body = envelope(
        cart, Operations=[adjust("A1", -1), adjust("D4", -1), adjust("E5", -1), adjust("C3", 5)]
    )
    r = call(http, cart, body)
    assert r.status_code == 206
    assert r.headers["Content-Range"] == "2/4"
    assert r.json() == [{"success": 1}, {"success": 1}]
    assert cart.inventory() == {**CATALOG, "A1": 9, "D4": 6}
    r = call(http, cart, body, headers={"Range": "Operations=3-4"})
    assert r.status_code == 200
    assert r.json() == [{"success": 1}, {"success": 1}]
    assert cart.inventory() == {"A1": 9, "B2": None, "C3": 5, "D4": 6, "E5": 2}
    deltas = stats(http, cart)["miva"]["deltas"]
    assert (deltas["applications"], deltas["duplicate_count"]) == (4, 0)
    # a client that re-sends the whole request instead applies the finished deltas again
    r = call(http, cart, body)
    assert r.status_code == 206
    assert cart.inventory()["A1"] == 8
    deltas = stats(http, cart)["miva"]["deltas"]
    assert deltas["duplicate_skus"] == ["A1", "D4"]
    # a ranged re-send that is cut short again reports the last finished operation
    r = call(
        http, cart, envelope(cart, Operations=[adjust("A1", 1)] * 5), {"Range": "Operations=2-"}
    )
    assert (r.status_code, r.headers["Content-Range"]) == (206, "3/5")
    # a range outside the operations runs nothing
    before = cart.inventory()
    for bad in ("Operations=4-9", "Operations=0-1", "bytes=0-1", "Operations=3-2"):
        r = call(http, cart, body, headers={"Range": bad})
        assert r.status_code == 416, bad
        assert r.json()["success"] == 0
    assert cart.inventory() == before
    counters = stats(http, cart)["miva"]
    assert counters["partial_answers"] == 3
    assert counters["ranged_requests"] == 2


def test_timeout_header_sets_the_budget(sandbox, http) -> None:
    cart = sandbox("miva", catalog=CATALOG, wall_clock=lambda: NOW, operation_seconds=10)
    body = envelope(cart, Operations=[adjust("A1", 1)] * 8)
    r = call(http, cart, body)
    assert (r.status_code, r.headers["Content-Range"]) == (206, "6/8")
    assert len(r.json()) == 6
    r = call(http, cart, body, headers={"X-Miva-API-Timeout": "100"})
    assert r.status_code == 200
    assert len(r.json()) == 8
    assert cart.inventory()["A1"] == 24


def test_basket_holds_and_the_stock_take_trap(cart, http) -> None:
    r = http.post(
        cart.url + "/_sandbox/basket",
        json={"lines": [{"sku": "A1", "qty": 3}, {"sku": "B2", "qty": 1}]},
        timeout=10,
    )
    basket = r.json()["basket"]
    assert cart.inventory()["A1"] == 7  # Miva's count drops when the basket is filled
    view = http.get(cart.url + "/_sandbox/baskets", timeout=10).json()
    assert view["held"] == {"A1": 3}
    assert (view["available"]["A1"], view["on_hand"]["A1"]) == (7, 10)
    assert view["baskets"][basket] == [{"sku": "A1", "qty": 3}, {"sku": "B2", "qty": 1}]
    assert stats(http, cart)["miva"]["baskets"] == {"open": 1, "held": {"A1": 3}}
    # a stock take pushes the shelf count (10) as an absolute level...
    body = envelope(cart, Function="Product_Update", Product_Code="A1", product_inventory=10)
    assert call(http, cart, body).json() == {"success": 1}
    # ...and when the basket is emptied its 3 units come back on top: 13 for 10 on the shelf
    r = http.post(cart.url + "/_sandbox/basket/empty", json={"basket": basket}, timeout=10)
    assert r.status_code == 200
    assert cart.inventory()["A1"] == 13
    assert http.get(cart.url + "/_sandbox/baskets", timeout=10).json()["held"] == {}
    # a checkout keeps the count lowered and makes an order to import
    second = cart.add_to_basket([("D4", 2)])
    assert cart.inventory()["D4"] == 5
    r = http.post(cart.url + "/_sandbox/basket/checkout", json={"basket": second}, timeout=10)
    assert r.json() == {"order": "1001"}
    assert cart.inventory()["D4"] == 5
    r = http.post(cart.url + "/_sandbox/basket/checkout", json={"basket": second}, timeout=10)
    assert r.status_code == 400
    bad = http.post(cart.url + "/_sandbox/basket", json={"lines": [{"sku": "ZZ"}]}, timeout=10)
    assert bad.status_code == 400


def test_baskets_survive_a_restart(tmp_path, http) -> None:
    from seom_desktop.sandbox import start_sandbox

    state = tmp_path / "miva.json"
    with start_sandbox("miva", catalog=CATALOG, state_file=state) as cart:
        cart.add_to_basket([("A1", 2)])
    with start_sandbox("miva", state_file=state) as again:
        assert again.basket_holds() == {"A1": 2}
        assert again.inventory()["A1"] == 8


def test_faults_lost_applies_then_drops_the_answer(cart, http) -> None:
    http.post(cart.url + "/_sandbox/faults", json={"faults": "lost=1"}, timeout=10)
    body = envelope(cart, Operations=[adjust("E5", -1)])
    with pytest.raises(requests.ConnectionError):
        call(http, cart, body)
    assert cart.inventory()["E5"] == 2
    http.post(cart.url + "/_sandbox/faults", json={"faults": "error500=1"}, timeout=10)
    assert call(http, cart, body).status_code == 500
    assert cart.inventory()["E5"] == 2  # an error500 happens before anything is applied
    http.post(cart.url + "/_sandbox/faults", json={"faults": ""}, timeout=10)
    call(http, cart, body)
    assert stats(http, cart)["miva"]["deltas"]["duplicate_skus"] == ["E5"]


def test_orders_import(cart, http) -> None:
    for lines in ([{"sku": "A1", "qty": 2}], [{"sku": "D4", "qty": 1}, {"sku": "B2", "qty": 4}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    query = envelope(cart, Function="OrderList_Load_Query", Count=1, Ondemandcolumns=["items"])
    page = call(http, cart, query).json()["data"]
    assert page["total_count"] == 2
    (first,) = page["data"]
    assert first["id"] == 1001
    assert [(i["code"], i["quantity"]) for i in first["items"]] == [("A1", 2)]
    assert first["orderdate"] == int(NOW.timestamp())
    newer = {"name": "search", "value": [{"field": "id", "operator": "GT", "value": "1001"}]}
    page = call(http, cart, {**query, "Count": 0, "Filter": [newer]}).json()["data"]
    assert [o["id"] for o in page["data"]] == [1002]
    assert [(i["sku"], i["quantity"]) for i in page["data"][0]["items"]] == [("D4", 1), ("B2", 4)]
    no_lines = call(http, cart, {**query, "Ondemandcolumns": []}).json()["data"]["data"][0]
    assert "items" not in no_lines
