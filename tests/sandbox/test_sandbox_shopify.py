"""Shopify Admin GraphQL 2026-04 sandbox: reads, mutations, idempotency, CAS, cost limits."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

PATH = "/admin/api/2026-04/graphql.json"
LOCATION = "gid://shopify/Location/76543210001"
CATALOG = {"A1": 10, "B2": None, "C3": 0, "D4": 7, "E5": 3}

ADJUST = """
mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri changes { name delta quantityAfterChange }
    }
    userErrors { field message code }
  }
}
"""
SET = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes(quantityNames: ["available"]) { name delta } }
    userErrors { field message code }
  }
}
"""
VARIANTS = """
query Variants($first: Int, $after: String) {
  productVariants(first: $first, after: $after) {
    edges { cursor node { id sku inventoryItem { id tracked
      inventoryLevel(locationId: "gid://shopify/Location/76543210001") {
        quantities(names: ["available", "on_hand"]) { name quantity } } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def cart(sandbox):
    return sandbox("shopify", catalog=CATALOG)


def gql(
    http: requests.Session,
    cart,
    query: str,
    variables: dict | None = None,
    token: str | None = None,
) -> requests.Response:
    headers = {"X-Shopify-Access-Token": cart.secret if token is None else token}
    return http.post(
        cart.url + PATH,
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )


def item_ids(http: requests.Session, cart) -> dict[str, str]:
    data = gql(http, cart, VARIANTS, {"first": 200}).json()["data"]
    return {
        e["node"]["sku"]: e["node"]["inventoryItem"]["id"] for e in data["productVariants"]["edges"]
    }


def adjust_input(changes: list[dict[str, Any]], reason: str = "correction") -> dict[str, Any]:
    return {
        "name": "available",
        "reason": reason,
        "referenceDocumentUri": "seom://stack/1",
        "changes": changes,
    }


def change(item: str, delta: int, cfq: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "inventoryItemId": item,
        "locationId": LOCATION,
        "delta": delta,
        "changeFromQuantity": cfq,
        **extra,
    }


def test_auth_and_version(cart, http) -> None:
    r = gql(http, cart, "{ shop { name } }", token="shpat_wrong")
    assert r.status_code == 401
    assert "Invalid API key or access token" in r.json()["errors"]
    r = http.post(cart.url + PATH, json={"query": "{ shop { name } }"}, timeout=10)
    assert r.status_code == 401
    r = http.post(
        cart.url + "/admin/api/2025-10/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": cart.secret},
        timeout=10,
    )
    assert r.status_code == 404
    assert gql(http, cart, "{ shop { name } }").json()["data"]["shop"]["name"] == cart.user


def test_invalid_queries_are_graphql_errors(cart, http) -> None:
    body = gql(http, cart, "{ productVariants(first: 5) { nodes { nope } } }").json()
    assert "nope" in body["errors"][0]["message"]
    assert "data" not in body
    assert gql(http, cart, "{ broken").json()["errors"]
    r = http.post(
        cart.url + PATH,
        data="not json",
        headers={"X-Shopify-Access-Token": cart.secret},
        timeout=10,
    )
    assert r.status_code == 400


def test_variant_pages_and_cost_extension(cart, http) -> None:
    seen: list[tuple[str, bool, int]] = []
    after = None
    while True:
        body = gql(http, cart, VARIANTS, {"first": 2, "after": after}).json()
        conn = body["data"]["productVariants"]
        for edge in conn["edges"]:
            node = edge["node"]
            level = node["inventoryItem"]["inventoryLevel"]
            available = next(q["quantity"] for q in level["quantities"] if q["name"] == "available")
            seen.append((node["sku"], node["inventoryItem"]["tracked"], available))
            assert node["id"].startswith("gid://shopify/ProductVariant/")
            assert node["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/")
        cost = body["extensions"]["cost"]
        assert set(cost["throttleStatus"]) == {
            "maximumAvailable",
            "currentlyAvailable",
            "restoreRate",
        }
        assert cost["actualQueryCost"] <= cost["requestedQueryCost"]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [
        ("A1", True, 10),
        ("B2", False, 0),
        ("C3", True, 0),
        ("D4", True, 7),
        ("E5", True, 3),
    ]


def test_page_size_limit(cart, http) -> None:
    body = gql(http, cart, "{ productVariants(first: 251) { nodes { sku } } }").json()
    assert body["data"] is None
    assert "250" in body["errors"][0]["message"]
    body = gql(http, cart, "{ productVariants { nodes { sku } } }").json()
    assert "first" in body["errors"][0]["message"]
    body = gql(
        http, cart, '{ productVariants(first: 5, after: "garbage") { nodes { sku } } }'
    ).json()
    assert "cursor" in body["errors"][0]["message"]


def test_sku_search_and_locations(cart, http) -> None:
    body = gql(
        http, cart, '{ productVariants(first: 5, query: "sku:D4 OR sku:A1") { nodes { sku } } }'
    )
    assert [n["sku"] for n in body.json()["data"]["productVariants"]["nodes"]] == ["A1", "D4"]
    body = gql(http, cart, "{ locations(first: 5) { nodes { id name } } }").json()
    assert [n["id"] for n in body["data"]["locations"]["nodes"]] == [LOCATION]


def test_adjust_applies_delta_and_reports_both_quantities(cart, http) -> None:
    ids = item_ids(http, cart)
    inp = adjust_input([change(ids["A1"], -3, 10), change(ids["D4"], 2, None)])
    body = gql(http, cart, ADJUST, {"input": inp, "key": "k-1"}).json()
    payload = body["data"]["inventoryAdjustQuantities"]
    assert payload["userErrors"] == []
    changes = payload["inventoryAdjustmentGroup"]["changes"]
    assert {(c["name"], c["delta"]) for c in changes} == {
        ("available", -3),
        ("on_hand", -3),
        ("available", 2),
        ("on_hand", 2),
    }
    assert cart.inventory()["A1"] == 7
    assert cart.inventory()["D4"] == 9
    assert cart.stats.to_json()["changes_applied"] == 2


def test_idempotent_replay_applies_once(cart, http) -> None:
    ids = item_ids(http, cart)
    variables = {"input": adjust_input([change(ids["A1"], -1, None)]), "key": "replay-key"}
    first = gql(http, cart, ADJUST, variables).json()["data"]
    second = gql(http, cart, ADJUST, variables).json()["data"]
    assert first == second
    assert cart.inventory()["A1"] == 9
    stats = http.get(cart.url + "/_sandbox/stats", timeout=10).json()
    assert stats["idempotency"]["applications"] == {"replay-key": 1}
    assert stats["idempotency"]["replays"] == 1
    assert stats["idempotency"]["duplicates"] == []
    assert stats["idempotency"]["duplicate_count"] == 0


def test_idempotency_key_is_mandatory(cart, http) -> None:
    ids = item_ids(http, cart)
    query = """mutation($input: InventoryAdjustQuantitiesInput!) {
      inventoryAdjustQuantities(input: $input) { userErrors { code } } }"""
    body = gql(http, cart, query, {"input": adjust_input([change(ids["A1"], -1, None)])}).json()
    assert body["data"]["inventoryAdjustQuantities"] is None
    assert "@idempotent" in body["errors"][0]["message"]
    assert cart.inventory()["A1"] == 10


def test_same_key_different_input_is_a_mismatch(cart, http) -> None:
    ids = item_ids(http, cart)
    gql(http, cart, ADJUST, {"input": adjust_input([change(ids["A1"], -1, None)]), "key": "k"})
    body = gql(
        http, cart, ADJUST, {"input": adjust_input([change(ids["A1"], -2, None)]), "key": "k"}
    )
    errors = body.json()["data"]["inventoryAdjustQuantities"]["userErrors"]
    assert errors[0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert cart.inventory()["A1"] == 9


def test_concurrent_same_key(cart, http) -> None:
    ids = item_ids(http, cart)
    variables = {"input": adjust_input([change(ids["A1"], -4, None)]), "key": "busy"}
    cart.mutation_entered.clear()
    cart.mutation_gate.clear()
    results: list[dict] = []

    def first_request() -> None:
        results.append(
            requests.post(
                cart.url + PATH,
                json={"query": ADJUST, "variables": variables},
                headers={"X-Shopify-Access-Token": cart.secret},
                timeout=30,
            ).json()
        )

    worker = threading.Thread(target=first_request)
    worker.start()
    try:
        assert cart.mutation_entered.wait(10)
        body = gql(http, cart, ADJUST, variables).json()
        errors = body["data"]["inventoryAdjustQuantities"]["userErrors"]
        assert errors[0]["code"] == "IDEMPOTENCY_CONCURRENT_REQUEST"
    finally:
        cart.mutation_gate.set()
        worker.join(30)
    assert results[0]["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert cart.inventory()["A1"] == 6


def test_change_from_quantity_stale_applies_nothing(cart, http) -> None:
    ids = item_ids(http, cart)
    inp = adjust_input([change(ids["D4"], 1, 7), change(ids["A1"], -1, 99)])
    payload = gql(http, cart, ADJUST, {"input": inp, "key": "stale"}).json()["data"][
        "inventoryAdjustQuantities"
    ]
    assert payload["inventoryAdjustmentGroup"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    assert payload["userErrors"][0]["field"] == ["input", "changes", "1", "changeFromQuantity"]
    assert cart.inventory() == CATALOG
    # the failed key cannot be reused
    payload = gql(http, cart, ADJUST, {"input": inp, "key": "stale"}).json()["data"]
    assert payload["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
    )


def test_change_from_quantity_must_be_present(cart, http) -> None:
    ids = item_ids(http, cart)
    entry = {"inventoryItemId": ids["A1"], "locationId": LOCATION, "delta": 1}
    body = gql(http, cart, ADJUST, {"input": adjust_input([entry]), "key": "no-cfq"}).json()
    assert body["data"]["inventoryAdjustQuantities"] is None
    assert "changeFromQuantity" in body["errors"][0]["message"]
    assert cart.inventory()["A1"] == 10


def test_per_item_errors_refuse_the_whole_mutation(cart, http) -> None:
    ids = item_ids(http, cart)
    inp = adjust_input(
        [
            change(ids["A1"], 1),
            change("gid://shopify/InventoryItem/1", 1),
            change(ids["B2"], 1),
            {**change(ids["D4"], 1), "locationId": "gid://shopify/Location/1"},
        ],
        reason="because",
    )
    payload = gql(http, cart, ADJUST, {"input": inp, "key": "bad"}).json()["data"][
        "inventoryAdjustQuantities"
    ]
    codes = sorted(e["code"] for e in payload["userErrors"])
    assert codes == [
        "INVALID_INVENTORY_ITEM",
        "INVALID_INVENTORY_ITEM",
        "INVALID_LOCATION",
        "INVALID_REASON",
    ]
    assert cart.inventory() == CATALOG
    # a variant id is not an inventory item id
    variant_id = gql(http, cart, "{ productVariants(first: 1) { nodes { id } } }").json()["data"][
        "productVariants"
    ]["nodes"][0]["id"]
    payload = gql(http, cart, ADJUST, {"input": adjust_input([change(variant_id, 1)]), "key": "v"})
    assert payload.json()["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"] == (
        "INVALID_INVENTORY_ITEM"
    )


def test_input_array_limit(cart, http) -> None:
    ids = item_ids(http, cart)
    inp = adjust_input([change(ids["A1"], 1) for _ in range(251)])
    body = gql(http, cart, ADJUST, {"input": inp, "key": "big"}).json()
    assert body["data"]["inventoryAdjustQuantities"] is None
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert cart.inventory()["A1"] == 10
    inp = adjust_input([change(ids["A1"], 1) for _ in range(250)])
    body = gql(http, cart, ADJUST, {"input": inp, "key": "ok"}).json()
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert cart.inventory()["A1"] == 260


def test_set_quantities_absolute_with_cas(cart, http) -> None:
    ids = item_ids(http, cart)
    inp = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "seom://set/1",
        "quantities": [
            {
                "inventoryItemId": ids["A1"],
                "locationId": LOCATION,
                "quantity": 4,
                "changeFromQuantity": 10,
            },
            {
                "inventoryItemId": ids["C3"],
                "locationId": LOCATION,
                "quantity": 8,
                "changeFromQuantity": None,
            },
        ],
    }
    payload = gql(http, cart, SET, {"input": inp, "key": "set-1"}).json()["data"][
        "inventorySetQuantities"
    ]
    assert payload["userErrors"] == []
    assert sorted(c["delta"] for c in payload["inventoryAdjustmentGroup"]["changes"]) == [-6, 8]
    assert cart.inventory()["A1"] == 4
    assert cart.inventory()["C3"] == 8
    inp["quantities"][0]["quantity"] = 1  # changeFromQuantity 10 is now stale
    payload = gql(http, cart, SET, {"input": inp, "key": "set-2"}).json()["data"][
        "inventorySetQuantities"
    ]
    assert payload["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert cart.inventory()["A1"] == 4
    inp["name"] = "incoming"
    payload = gql(http, cart, SET, {"input": inp, "key": "set-3"}).json()["data"][
        "inventorySetQuantities"
    ]
    assert "INVALID_NAME" in [e["code"] for e in payload["userErrors"]]


def test_cost_bucket_throttles_and_restores(sandbox, http, clock) -> None:
    cart = sandbox(
        "shopify",
        catalog={f"S{n:03d}": n for n in range(40)},
        max_available=100,
        restore_rate=10,
        clock=clock,
    )
    query = "{ productVariants(first: 30) { nodes { sku } } }"  # costs 2 + 30 x 1 = 32
    for _ in range(3):
        body = gql(http, cart, query).json()
        assert body["extensions"]["cost"]["requestedQueryCost"] == 32
    r = gql(http, cart, query)
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 4
    assert r.headers["Retry-After"] == "3"
    clock.advance(3)
    assert "errors" not in gql(http, cart, query).json()
    too_big = (
        "{ productVariants(first: 250) { nodes { sku inventoryItem { inventoryLevel("
        'locationId: "gid://shopify/Location/76543210001") { quantities(names: ["available"]) '
        "{ quantity } } } } } }"
    )
    assert gql(http, cart, too_big).json()["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_a_250_page_with_levels_exceeds_the_single_query_limit(cart, http) -> None:
    """2 + 250 x (variant 1 + inventoryItem 1 + inventoryLevel 1 + quantities 1) = 1002."""
    body = gql(http, cart, VARIANTS, {"first": 250}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1002
    body = gql(http, cart, VARIANTS, {"first": 200}).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 802
    assert body["extensions"]["cost"]["actualQueryCost"] == 2 + 5 * 4


def test_throttle_fault_is_429_throttled(sandbox, http) -> None:
    cart = sandbox("shopify", catalog=CATALOG, faults="throttle=1")
    r = gql(http, cart, "{ shop { name } }")
    assert r.status_code == 429
    assert r.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert int(r.headers["Retry-After"]) >= 1


def test_lost_answer_then_retry_with_same_key_applies_once(sandbox, http) -> None:
    cart = sandbox("shopify", catalog=CATALOG)
    ids = item_ids(http, cart)
    variables = {"input": adjust_input([change(ids["A1"], -2, 10)]), "key": "lost-1"}
    cart.set_faults("lost=1")
    with pytest.raises(requests.ConnectionError):
        gql(http, cart, ADJUST, variables)
    cart.set_faults("")
    body = gql(http, cart, ADJUST, variables).json()
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert cart.inventory()["A1"] == 8
    assert cart.stats.to_json()["idempotency"]["applications"] == {"lost-1": 1}


def test_idempotency_keys_survive_restart(tmp_path, sandbox, http) -> None:
    state = tmp_path / "shop.json"
    cart = sandbox("shopify", catalog=CATALOG, state_file=state)
    ids = item_ids(http, cart)
    variables = {"input": adjust_input([change(ids["A1"], -2, None)]), "key": "persist"}
    gql(http, cart, ADJUST, variables)
    cart.stop()
    again = sandbox("shopify", state_file=state)
    body = gql(http, again, ADJUST, variables).json()
    assert body["data"]["inventoryAdjustQuantities"]["userErrors"] == []
    assert again.inventory()["A1"] == 8


def test_orders_import(cart, http) -> None:
    for lines in ([{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}], [{"sku": "D4", "qty": 3}]):
        http.post(cart.url + "/_sandbox/order", json={"lines": lines}, timeout=10)
    query = """query($after: String, $q: String) {
      orders(first: 1, after: $after, query: $q) {
        edges { cursor node { id legacyResourceId name createdAt
          lineItems(first: 10) { nodes { sku quantity } } } }
        pageInfo { hasNextPage endCursor } } }"""
    first = gql(http, cart, query).json()["data"]["orders"]
    node = first["edges"][0]["node"]
    assert node["name"] == "#1001"
    assert node["lineItems"]["nodes"] == [
        {"sku": "A1", "quantity": 2},
        {"sku": "B2", "quantity": 1},
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(http, cart, query, {"after": first["pageInfo"]["endCursor"]}).json()["data"][
        "orders"
    ]
    assert second["edges"][0]["node"]["name"] == "#1002"
    assert second["pageInfo"]["hasNextPage"] is False
    newer = gql(http, cart, query, {"q": f"id:>{node['legacyResourceId']}"}).json()["data"][
        "orders"
    ]
    assert [e["node"]["name"] for e in newer["edges"]] == ["#1002"]
    since = gql(http, cart, query, {"q": f"created_at:>={node['createdAt']}"}).json()["data"]
    assert since["orders"]["edges"][0]["node"]["name"] == "#1001"
    assert cart.inventory()["A1"] == 8
    assert "errors" in gql(http, cart, query, {"q": "tag:wholesale"}).json()
