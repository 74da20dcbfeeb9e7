"""Shopify through the Admin GraphQL API, version 2026-04 (``cart-protocols.md`` section 2).

``POST {shop}/admin/api/2026-04/graphql.json`` with the ``X-Shopify-Access-Token`` header.

* Real-time changes (deltas) go as ONE ``inventoryAdjustQuantities`` mutation per batch (up to
  250 changes: a burst of 50,000 stack rows over 5,000 SKUs is 20 requests). Its
  ``@idempotent(key:)`` is derived from the items' own keys (:attr:`QohDelta.key`, fixed per
  item by the stack controller), so the same items always travel under the same key: after a
  lost answer a re-send returns the original result instead of applying twice. A mutation
  applies all or nothing; when Shopify refuses some items (userErrors naming
  ``changes[i]``), those are reported and the rest are sent again under the key of the rest.
  ``IDEMPOTENCY_CONCURRENT_REQUEST`` (the first attempt still runs) is retried with the same
  key after a pause; ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` is reported in
  :attr:`ItemResult.code` so the caller can retry with a new key.
* Send QOH uses ``inventorySetQuantities`` with ``changeFromQuantity`` on every item (mandatory
  from 2026-04): the quantity read just before (compare-and-set) unless the caller gave
  :attr:`QohSet.expected`. On ``CHANGE_FROM_QUANTITY_STALE`` the stale items are read again and
  sent once more; if still stale they are reported per item. A mutation applies all or
  nothing, so after per-item userErrors the other items are sent again under a new key.
* SKU -> inventory item id: a cache filled from cursor pages (``productVariants`` with
  ``first``/``after``), by a full read (Get QOH) or by ``sku:`` searches for the SKUs of a
  batch. The location is the cart option ``location_id`` (a gid or a number), else the first
  location the shop lists.
* Rate limit: the leaky bucket of query-cost points. Every answer's
  ``extensions.cost.throttleStatus`` feeds the cart's :class:`RateLimiter`, which waits before
  a request whose documented cost (objects 1, connections 2 + first x node, mutations 10)
  exceeds what is available; ``THROTTLED`` answers (HTTP 200 or 429) are waited out and
  re-sent. A page of variants with their inventory level costs 2 + 4 x first points, so a page
  is sized to 80 % of the bucket (200 on a 1000-point bucket; 250 would cost 1002 and be
  refused with ``MAX_COST_EXCEEDED``); when Shopify reports ``MAX_COST_EXCEEDED`` anyway the
  page is shrunk to fit the bucket it reports and the request is sent again.
* Input arrays hold at most 250 items (``MAX_INPUT_SIZE_EXCEEDED``), the platform's max_batch.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from seom_desktop.carts.base import (
    CartError,
    CartOrder,
    CartOrderLine,
    CartQoh,
    ItemResult,
    ItemStatus,
    QohDelta,
    QohSet,
)
from seom_desktop.carts.http import (
    HttpAnswer,
    HttpConnector,
    as_dict,
    as_int,
    as_list,
    decode_json,
    parse_retry_after,
)
from seom_desktop.store.carts import CartInfo

API_VERSION = "2026-04"
MAX_PAGE = 250
MAX_INPUT = 250
MUTATION_COST = 10
LEVEL_NODE_COST = 4
"""A variant (1) + its inventoryItem (1) + inventoryLevel (1) + quantities (1)."""
ID_NODE_COST = 2
"""A variant (1) + its inventoryItem (1)."""
DEFAULT_BUCKET = 1000.0
BUCKET_SHARE = 0.8
"""A page may use this share of the bucket, leaving room for cost estimates to be off."""
SCAN_THRESHOLD = 100
"""Unknown SKUs above which one scan of the catalogue's ids beats ``sku:`` searches."""
SEARCH_CHUNK = 50
"""SKUs per ``sku:`` search."""
CONCURRENT_RETRIES = 3
CONCURRENT_PAUSE = 1.0
ORDER_PAGE = 25
ORDER_LINES = 30
QUANTITY_NAME = "available"
KEY_NAMESPACE = uuid.UUID("6f1c3f3e-5b8e-4f55-9a57-0d5e2f1f6a01")

_VARIANT_FIELDS_LEVEL = """
      sku
      inventoryItem {
        id
        tracked
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }"""
_VARIANT_FIELDS_ID = """
      sku
      inventoryItem { id tracked }"""

VARIANTS_WITH_LEVELS = (
    "query SeomVariants($first: Int!, $after: String, $query: String, $location: ID!) {\n"
    "  productVariants(first: $first, after: $after, query: $query) {\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "    nodes {" + _VARIANT_FIELDS_LEVEL + "\n    }\n  }\n}"
)
VARIANT_IDS = (
    "query SeomVariantIds($first: Int!, $after: String, $query: String) {\n"
    "  productVariants(first: $first, after: $after, query: $query) {\n"
    "    pageInfo { hasNextPage endCursor }\n"
    "    nodes {" + _VARIANT_FIELDS_ID + "\n    }\n  }\n}"
)
LOCATIONS = "query SeomLocations { locations(first: 1) { nodes { id name } } }"
SHOP = "query SeomShop { shop { name myshopifyDomain } }"
SET_QUANTITIES = """
mutation SeomSet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"""
ORDERS = """
query SeomOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      name
      lineItems(first: ORDER_LINES) {
        pageInfo { hasNextPage endCursor }
        nodes { sku quantity }
      }
    }
  }
}""".replace("ORDER_LINES", str(ORDER_LINES))
ORDER_LINES_PAGE = """
query SeomOrderLines($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { sku quantity }
    }
  }
}"""
ORDER_BY_NAME = """
query SeomOrderByName($query: String) {
  orders(first: 1, query: $query) { nodes { legacyResourceId } }
}"""


ADJUST_QUANTITIES = """
mutation SeomAdjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      changes(quantityNames: ["available"]) { name delta quantityAfterChange item { id } }
    }
    userErrors { field message code }
  }
}"""


def batch_key(keys: Sequence[str]) -> str:
    """The idempotency key of a batch of deltas: a function of its items' keys only."""
    return str(uuid.uuid5(KEY_NAMESPACE, "adjust:" + "|".join(sorted(keys))))


def _search(skus: Sequence[str]) -> str:
    """Shopify search syntax: ``sku:"A" OR sku:"B"`` (quotes and backslashes escaped)."""
    return " OR ".join(
        'sku:"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"' for sku in skus
    )


def _as_gid(value: str, kind: str) -> str:
    text = value.strip()
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


@dataclass(frozen=True)
class _Variant:
    sku: str
    item_id: str
    tracked: bool
    available: int | None = None
    """The available quantity at the cart's location when it was read with levels; None when
    the item is not stocked there (or it was read without levels)."""
    stocked: bool = True


class ShopifyConnector(HttpConnector):
    """A Shopify shop (see the module docstring)."""

    platform = "shopify"

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        if "/admin/api/" in base:
            self.endpoint = base if base.endswith(".json") else base + "/graphql.json"
        else:
            version = cart.options.get("api_version", API_VERSION)
            self.endpoint = f"{base}/admin/api/{version}/graphql.json"
        self.quantity_name = cart.options.get("quantity_name", QUANTITY_NAME)
        option = cart.options.get("location_id", "").strip()
        self._location: str | None = _as_gid(option, "Location") if option else None
        self._variants: dict[str, _Variant] = {}
        self._ids_scanned = False

    # -- transport -------------------------------------------------------------------------
    def _throttled(self, answer: HttpAnswer) -> float | None:
        """Shopify's THROTTLED error, as HTTP 200 or 429: wait for the points it needs."""
        if answer.status not in (200, 429) or b"THROTTLED" not in answer.body:
            # Only a body naming the code can be a throttle answer: the others (nearly all,
            # some of them megabytes long) are not decoded twice.
            return None
        try:
            body = decode_json(answer.body)
        except (ValueError, UnicodeDecodeError):
            return None
        errors = body.get("errors") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not any(
            isinstance(e, dict) and as_dict(e.get("extensions")).get("code") == "THROTTLED"
            for e in errors
        ):
            return None
        cost = self._observe_cost(body)
        status = as_dict(cost.get("throttleStatus"))
        requested = cost.get("requestedQueryCost")
        try:
            available = float(status["currentlyAvailable"])
            rate = float(status["restoreRate"])
            if isinstance(requested, int | float) and rate > 0:
                return max(0.0, (float(requested) - available) / rate)
        except (KeyError, TypeError, ValueError, OverflowError):
            pass
        retry = parse_retry_after(answer.headers.get("Retry-After"))
        return retry if retry is not None else 1.0

    def _observe_cost(self, body: Any) -> dict[str, Any]:
        cost = as_dict(body.get("extensions")).get("cost") if isinstance(body, dict) else None
        if not isinstance(cost, dict):
            return {}
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            with contextlib.suppress(KeyError, TypeError, ValueError, OverflowError):
                self.http.limiter.observe_bucket(
                    float(status["maximumAvailable"]),
                    float(status["currentlyAvailable"]),
                    float(status["restoreRate"]),
                )
        return cost

    def _graphql(
        self,
        query: str,
        variables: dict[str, Any],
        what: str,
        *,
        mutating: bool = False,
        cost: float = 0.0,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Send one document; (data, top-level errors). HTTP failures raise CartError."""
        answer = self.http.request(
            "POST",
            self.endpoint,
            json_body={"query": query, "variables": variables},
            headers={
                "X-Shopify-Access-Token": self.cart.secret,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            mutating=mutating,
            what=what,
            cost=cost,
            throttled=self._throttled,
        )
        body = self.http.json(answer, what, mutating=mutating)
        if not isinstance(body, dict):
            raise self.http.error(
                f"{what}: unexpected answer from Shopify", transient=True, applied_unknown=mutating
            )
        self._observe_cost(body)
        errors = body.get("errors") or []
        if not isinstance(errors, list):
            errors = [{"message": str(errors)}]
        data = body.get("data")
        return (data if isinstance(data, dict) else {}), [e for e in errors if isinstance(e, dict)]

    def _query(
        self, query: str, variables: dict[str, Any], what: str, cost: float
    ) -> dict[str, Any]:
        """A read: any top-level error fails it."""
        data, errors = self._graphql(query, variables, what, cost=cost)
        if errors:
            raise self._errors_to_cart_error(errors, what)
        return data

    def _errors_to_cart_error(self, errors: list[dict[str, Any]], what: str) -> CartError:
        first = errors[0]
        code = self.http.clean(as_dict(first.get("extensions")).get("code") or "", 60)
        message = str(first.get("message") or "error")
        return self.http.error(
            f"{what}: Shopify answered {code or 'an error'}: {self.http.snippet(message)}",
            transient=code in ("THROTTLED", "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"),
        )

    # -- location and page sizes -----------------------------------------------------------
    def location(self) -> str:
        """The cart option ``location_id``, else the first location the shop lists."""
        if self._location is None:
            data = self._query(LOCATIONS, {}, "reading the locations", cost=3)
            nodes = as_list(as_dict(data.get("locations")).get("nodes"))
            found = as_dict(nodes[0]).get("id") if nodes else None
            if not isinstance(found, str) or not found.strip():
                raise self.http.error("the shop lists no location", transient=False)
            self._location = found.strip()
        return self._location

    def page_size(self, node_cost: int) -> int:
        """Nodes per page: 80 % of the bucket divided by a node's cost (at most 250)."""
        maximum = self.http.limiter.bucket_maximum or DEFAULT_BUCKET
        return max(1, min(MAX_PAGE, int(maximum * BUCKET_SHARE) // node_cost))

    def _variant_page(
        self, *, after: str | None, search: str | None, levels: bool, first: int | None = None
    ) -> tuple[list[_Variant], str | None]:
        """One page of variants; (variants, next cursor or None)."""
        node_cost = LEVEL_NODE_COST if levels else ID_NODE_COST
        size = first if first is not None else self.page_size(node_cost)
        variables: dict[str, Any] = {"first": size, "after": after, "query": search}
        if levels:
            variables["location"] = self.location()
        query = VARIANTS_WITH_LEVELS if levels else VARIANT_IDS
        what = "reading product variants"
        for _ in range(3):
            variables["first"] = size
            data, errors = self._graphql(query, variables, what, cost=2 + size * node_cost)
            too_costly = [
                e for e in errors if as_dict(e.get("extensions")).get("code") == "MAX_COST_EXCEEDED"
            ]
            if not too_costly:
                break
            smaller = self.page_size(node_cost)
            size = smaller if smaller < size else max(1, size // 2)
            self.log.info(
                "%s: query cost too high; reading %d variants per page", self.cart.name, size
            )
        if errors:
            raise self._errors_to_cart_error(errors, what)
        connection = as_dict(data.get("productVariants"))
        variants: list[_Variant] = []
        for raw in as_list(connection.get("nodes")):
            node = as_dict(raw)
            sku = node.get("sku")
            sku = sku.strip() if isinstance(sku, str) else ""
            item = as_dict(node.get("inventoryItem"))
            if not sku or not isinstance(item.get("id"), str | int) or not item.get("id"):
                continue
            available: int | None = None
            stocked = True
            if levels:
                level = item.get("inventoryLevel")
                if level is None:
                    stocked = False
                else:
                    for entry in as_list(as_dict(level).get("quantities")):
                        quantity = as_dict(entry)
                        if quantity.get("name") == self.quantity_name:
                            available = as_int(quantity.get("quantity"))
            variant = _Variant(sku, str(item["id"]), bool(item.get("tracked")), available, stocked)
            variants.append(variant)
            known = self._variants.get(sku)
            if known is not None and known.item_id != variant.item_id:
                self.log.warning(
                    "%s: SKU %s is on several variants; using the first", self.cart.name, sku
                )
                continue
            self._variants[sku] = variant
        info = as_dict(connection.get("pageInfo"))
        cursor = info.get("endCursor") if info.get("hasNextPage") is True else None
        return variants, cursor if isinstance(cursor, str) else None

    def _lookup(self, skus: Sequence[str], *, levels: bool) -> dict[str, _Variant]:
        """Variants of these SKUs (exact matches), read now; cached for later calls."""
        found: dict[str, _Variant] = {}
        wanted = list(dict.fromkeys(skus))
        for start in range(0, len(wanted), SEARCH_CHUNK):
            chunk = wanted[start : start + SEARCH_CHUNK]
            chunk_set = set(chunk)
            cursor: str | None = None
            search = _search(chunk)
            size = min(
                MAX_PAGE,
                len(chunk) + 5,
                self.page_size(LEVEL_NODE_COST if levels else ID_NODE_COST),
            )
            while True:
                variants, cursor = self._variant_page(
                    after=cursor, search=search, levels=levels, first=size
                )
                for variant in variants:
                    if variant.sku in chunk_set and variant.sku not in found:
                        found[variant.sku] = variant
                if cursor is None:
                    break
        return found

    # -- connection and reading ------------------------------------------------------------
    def test_connection(self) -> str:
        data = self._query(SHOP, {}, "reading the shop", cost=1)
        shop = as_dict(data.get("shop"))
        location = self.location()
        return self.http.clean(
            f"Connected to Shopify shop {shop.get('name') or '?'} "
            f"({shop.get('myshopifyDomain') or self.cart.url}, API {API_VERSION}, "
            f"location {location})"
        )

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        cursor: str | None = None
        while True:
            variants, cursor = self._variant_page(after=cursor, search=None, levels=True)
            page = [
                CartQoh(v.sku, v.available if v.tracked and v.stocked else None) for v in variants
            ]
            if page:
                yield page
            if cursor is None:
                return

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        found = self._lookup(skus, levels=True)
        return {sku: (v.available if v.tracked and v.stocked else None) for sku, v in found.items()}

    # -- Send QOH --------------------------------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        if len(items) > min(self.max_batch, MAX_INPUT):
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: dict[int, ItemResult] = {}
        variants = self._lookup([i.sku for i in items], levels=True)
        pending: list[tuple[int, QohSet, _Variant, int | None, bool]] = []
        seen: set[str] = set()
        for n, item in enumerate(items):
            variant = variants.get(item.sku)
            if variant is None:
                results[n] = ItemResult(item.sku, ItemStatus.NOT_FOUND, "no variant has this SKU")
            elif not variant.tracked:
                results[n] = ItemResult(
                    item.sku, ItemStatus.NOT_TRACKED, "Shopify does not track this item's stock"
                )
            elif not variant.stocked:
                results[n] = ItemResult(
                    item.sku,
                    ItemStatus.NOT_FOUND,
                    "the item is not stocked at the cart's location",
                    code="ITEM_NOT_STOCKED_AT_LOCATION",
                )
            elif variant.item_id in seen:
                results[n] = ItemResult(
                    item.sku, ItemStatus.ERROR, "the SKU is twice in this batch"
                )
            else:
                seen.add(variant.item_id)
                own_check = item.expected is None
                expected = variant.available if own_check else item.expected
                pending.append((n, item, variant, expected, own_check))
        key = self._batch_key(items)
        restale_done = False
        rounds = 0
        while pending:
            rounds += 1
            outcome = self._set_round(pending, key, rounds)
            for n, result in outcome.done.items():
                results[n] = result
            retry = outcome.retry
            stale_own = [p for p in outcome.stale if p[4]]
            for n, item, _variant, _expected, _own in outcome.stale:
                if not _own or restale_done:
                    results[n] = ItemResult(
                        item.sku,
                        ItemStatus.ERROR,
                        "the cart's quantity changed while sending (compare-and-set failed)",
                        code="CHANGE_FROM_QUANTITY_STALE",
                        transient=True,
                    )
            if stale_own and not restale_done:
                restale_done = True
                fresh = self._lookup([p[1].sku for p in stale_own], levels=True)
                for n, item, variant, _expected, own in stale_own:
                    now = fresh.get(item.sku, variant)
                    retry.append((n, item, now, now.available, own))
            pending = sorted(retry, key=lambda p: p[0])
            key = str(uuid.uuid5(KEY_NAMESPACE, f"{key}:retry:{rounds}"))
            if rounds > len(items) + 2:  # cannot happen: every round settles at least one item
                for n, item, *_ in pending:
                    results[n] = ItemResult(item.sku, ItemStatus.ERROR, "not applied (gave up)")
                break
        return [results[n] for n in range(len(items))]

    @staticmethod
    def _batch_key(items: Sequence[QohSet]) -> str:
        """The idempotency key of a set: derived from the items' own keys when they all have
        one (so a retried batch reuses it), else a new random key."""
        keys = [i.key for i in items]
        if len(keys) == 1 and keys[0]:
            return keys[0]
        if keys and all(keys):
            return str(uuid.uuid5(KEY_NAMESPACE, "set:" + "|".join(k or "" for k in keys)))
        return str(uuid.uuid4())

    @dataclass
    class _Round:
        done: dict[int, ItemResult]
        retry: list[tuple[int, QohSet, _Variant, int | None, bool]]
        stale: list[tuple[int, QohSet, _Variant, int | None, bool]]

    def _set_round(
        self,
        pending: list[tuple[int, QohSet, _Variant, int | None, bool]],
        key: str,
        attempt: int,
    ) -> ShopifyConnector._Round:
        location = self.location()
        input_ = {
            "name": self.quantity_name,
            "reason": "correction",
            "referenceDocumentUri": f"gid://seom-desktop/SendQOH/{key}",
            "quantities": [
                {
                    "inventoryItemId": variant.item_id,
                    "locationId": location,
                    "quantity": item.quantity,
                    "changeFromQuantity": expected,
                }
                for _n, item, variant, expected, _own in pending
            ],
        }
        what = f"inventorySetQuantities of {len(pending)} items"
        data, errors = self._graphql(
            SET_QUANTITIES, {"input": input_, "key": key}, what, mutating=True, cost=MUTATION_COST
        )
        out = ShopifyConnector._Round({}, [], [])
        if errors or not isinstance(data.get("inventorySetQuantities"), dict):
            if not errors:
                errors = [{"message": "no result"}]
            error = self._errors_to_cart_error(errors, what)
            if attempt == 1:
                raise error
            for n, item, *_ in pending:
                out.done[n] = ItemResult(item.sku, ItemStatus.ERROR, str(error), transient=True)
            return out
        payload = data["inventorySetQuantities"]
        user_errors = [as_dict(e) for e in as_list(payload.get("userErrors"))]
        if not user_errors:
            for n, item, *_ in pending:
                out.done[n] = ItemResult(item.sku, ItemStatus.OK, cart_qoh=item.quantity)
            return out
        by_index: dict[int, list[dict[str, Any]]] = {}
        general: list[dict[str, Any]] = []
        for problem in user_errors:
            index = self._field_index(problem.get("field"), "quantities")
            if index is None or index >= len(pending):
                general.append(problem)
            else:
                by_index.setdefault(index, []).append(problem)
        if general:
            for n, item, *_ in pending:
                out.done[n] = self._user_error_result(item.sku, general[0])
            return out
        for index, entry in enumerate(pending):
            found = by_index.get(index)
            if not found:
                out.retry.append(entry)  # nothing was applied: send again under a new key
            elif found[0].get("code") == "CHANGE_FROM_QUANTITY_STALE":
                out.stale.append(entry)
            else:
                out.done[entry[0]] = self._user_error_result(entry[1].sku, found[0])
        return out

    @staticmethod
    def _field_index(field: Any, array: str) -> int | None:
        if isinstance(field, list) and len(field) >= 3 and field[1] == array:
            return as_int(field[2])
        return None

    def _user_error_result(self, sku: str, error: dict[str, Any]) -> ItemResult:
        code = self.http.clean(error.get("code") or "", 60)
        message = self.http.snippet(str(error.get("message") or code or "refused"))
        if code in ("INVALID_INVENTORY_ITEM", "ITEM_NOT_STOCKED_AT_LOCATION"):
            self._variants.pop(sku, None)
            if "track" in message.lower():
                return ItemResult(sku, ItemStatus.NOT_TRACKED, message, code=code)
            return ItemResult(sku, ItemStatus.NOT_FOUND, message, code=code)
        transient = code in ("IDEMPOTENCY_CONCURRENT_REQUEST", "SERVICE_UNAVAILABLE")
        return ItemResult(sku, ItemStatus.ERROR, message, code=code, transient=transient)

    # -- real-time deltas ------------------------------------------------------------------
    def _item_ids(self, skus: Sequence[str]) -> dict[str, _Variant]:
        missing = [s for s in dict.fromkeys(skus) if s not in self._variants]
        if len(missing) > SCAN_THRESHOLD and not self._ids_scanned:
            # Many unknown SKUs (a cold start after a burst): page through the catalogue's
            # ids, 250 variants a request, instead of one search per 50 SKUs.
            cursor: str | None = None
            size = self.page_size(ID_NODE_COST)
            while True:
                _, cursor = self._variant_page(after=cursor, search=None, levels=False, first=size)
                if cursor is None:
                    break
            self._ids_scanned = True
            missing = [s for s in missing if s not in self._variants]
        if missing:
            self._lookup(missing, levels=False)
        return {s: self._variants[s] for s in skus if s in self._variants}

    def adjust_qoh(self, items: Sequence[QohDelta]) -> list[ItemResult]:
        if len(items) > min(self.max_batch, MAX_INPUT):
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: dict[int, ItemResult] = {}
        variants = self._item_ids([i.sku for i in items])
        pending: list[tuple[int, QohDelta, _Variant]] = []
        for n, item in enumerate(items):
            variant = variants.get(item.sku)
            if variant is None:
                results[n] = ItemResult(item.sku, ItemStatus.NOT_FOUND, "no variant has this SKU")
            elif not variant.tracked:
                results[n] = ItemResult(
                    item.sku, ItemStatus.NOT_TRACKED, "Shopify does not track this item's stock"
                )
            else:
                pending.append((n, item, variant))
        results.update(self._adjust_batch(pending))
        return [results[n] for n in range(len(items))]

    def _adjust_batch(self, pending: list[tuple[int, QohDelta, _Variant]]) -> dict[int, ItemResult]:
        """One mutation for the batch; refused items are reported and the rest re-sent under
        the key of the rest; items still being applied are asked for again (same key)."""
        results: dict[int, ItemResult] = {}
        location = self.location()
        todo = list(pending)
        concurrent = 0
        first_request = True
        while todo:
            key = batch_key([item.key for _n, item, _v in todo])
            variables: dict[str, Any] = {
                "input": {
                    "name": self.quantity_name,
                    "reason": "correction",
                    "referenceDocumentUri": f"gid://seom-desktop/WebStackBatch/{key}",
                    "changes": [
                        {
                            "inventoryItemId": variant.item_id,
                            "locationId": location,
                            "delta": item.delta,
                            "changeFromQuantity": None,
                        }
                        for _n, item, variant in todo
                    ],
                },
                "key": key,
            }
            what = f"inventoryAdjustQuantities of {len(todo)} changes"
            try:
                data, errors = self._graphql(
                    ADJUST_QUANTITIES, variables, what, mutating=True, cost=MUTATION_COST
                )
            except CartError as exc:
                if first_request:
                    raise
                for n, item, _variant in todo:
                    results[n] = ItemResult(
                        item.sku,
                        ItemStatus.ERROR,
                        str(exc),
                        transient=exc.transient,
                        applied_unknown=exc.applied_unknown,
                    )
                return results
            first_request = False
            payload = data.get("inventoryAdjustQuantities")
            if not isinstance(payload, dict):
                raise self._errors_to_cart_error(
                    errors or [{"message": "no result; the changes may have been applied"}], what
                )
            user_errors = [as_dict(e) for e in as_list(payload.get("userErrors"))]
            if not user_errors:
                after = self._after_by_item(payload)
                for n, item, variant in todo:
                    results[n] = ItemResult(
                        item.sku, ItemStatus.OK, cart_qoh=after.get(variant.item_id)
                    )
                return results
            codes = {str(e.get("code") or "") for e in user_errors}
            if codes == {"IDEMPOTENCY_CONCURRENT_REQUEST"} and concurrent < CONCURRENT_RETRIES:
                concurrent += 1
                self.log.info(
                    "%s: %d changes still being applied by Shopify; asking again",
                    self.cart.name,
                    len(todo),
                )
                self.http.limiter.pause(CONCURRENT_PAUSE * concurrent)
                continue
            refused: dict[int, dict[str, Any]] = {}
            for error in user_errors:
                index = self._field_index(error.get("field"), "changes")
                if index is not None and 0 <= index < len(todo):
                    refused.setdefault(index, error)
            if not refused:
                # Nothing points at an item: the whole batch is refused for one reason.
                error = user_errors[0]
                for n, item, _variant in todo:
                    result = self._user_error_result(item.sku, error)
                    if error.get("code") == "IDEMPOTENCY_CONCURRENT_REQUEST":
                        result = ItemResult(
                            item.sku,
                            ItemStatus.ERROR,
                            "Shopify is still applying an earlier attempt of this change; "
                            "retry later with the same key",
                            code="IDEMPOTENCY_CONCURRENT_REQUEST",
                            transient=True,
                            applied_unknown=True,
                        )
                    results[n] = result
                return results
            for index, error in refused.items():
                n, item, _variant = todo[index]
                results[n] = self._user_error_result(item.sku, error)
            todo = [entry for index, entry in enumerate(todo) if index not in refused]
        return results

    def _after_by_item(self, payload: dict[str, Any]) -> dict[str, int]:
        group = as_dict(payload.get("inventoryAdjustmentGroup"))
        after: dict[str, int] = {}
        for entry in as_list(group.get("changes")):
            change = as_dict(entry)
            item = as_dict(change.get("item")).get("id")
            quantity = as_int(change.get("quantityAfterChange"))
            if item and change.get("name") == self.quantity_name and quantity is not None:
                after[str(item)] = quantity
        return after

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """Orders whose number (name without ``#``) follows ``after``, oldest first."""
        search: str | None = None
        if after:
            data = self._query(
                ORDER_BY_NAME, {"query": f"name:#{after.lstrip('#')}"}, "finding the last order", 3
            )
            nodes = as_list(as_dict(data.get("orders")).get("nodes"))
            last = as_int(as_dict(nodes[0]).get("legacyResourceId")) if nodes else None
            if last is None:
                raise self.http.error(f"the shop has no order #{after}", transient=False)
            search = f"id:>{last}"
        orders: list[CartOrder] = []
        cursor: str | None = None
        per_order = 1 + 2 + ORDER_LINES
        while len(orders) < batch:
            first = max(1, min(ORDER_PAGE, batch - len(orders)))
            data = self._query(
                ORDERS,
                {"first": first, "after": cursor, "query": search},
                "reading orders",
                cost=2 + first * per_order,
            )
            connection = as_dict(data.get("orders"))
            for node in as_list(connection.get("nodes")):
                if not isinstance(node, dict):
                    continue
                lines = self._lines(node)
                orders.append(CartOrder(str(node.get("name") or "").lstrip("#"), tuple(lines)))
            info = as_dict(connection.get("pageInfo"))
            cursor = info.get("endCursor")
            if info.get("hasNextPage") is not True or not isinstance(cursor, str):
                break
        return orders[:batch]

    def _lines(self, node: dict[str, Any]) -> list[CartOrderLine]:
        items = as_dict(node.get("lineItems"))
        lines = self._line_nodes(items)
        info = as_dict(items.get("pageInfo"))
        while info.get("hasNextPage") is True and isinstance(node.get("id"), str):
            data = self._query(
                ORDER_LINES_PAGE,
                {"id": node["id"], "after": info.get("endCursor")},
                "reading order lines",
                cost=103,
            )
            items = as_dict(as_dict(data.get("order")).get("lineItems"))
            lines.extend(self._line_nodes(items))
            info = as_dict(items.get("pageInfo"))
        return lines

    @staticmethod
    def _line_nodes(items: dict[str, Any]) -> list[CartOrderLine]:
        return [
            CartOrderLine(str(li.get("sku") or ""), as_int(li.get("quantity")) or 0)
            for li in as_list(items.get("nodes"))
            if isinstance(li, dict)
        ]
