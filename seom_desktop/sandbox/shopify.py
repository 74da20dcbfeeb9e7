"""Sandbox of the Shopify Admin GraphQL API, version 2026-04, built on a real GraphQL schema.

``POST /admin/api/2026-04/graphql.json`` with JSON ``{"query", "variables", "operationName"}``
(or ``Content-Type: application/graphql``). Rules enforced, from the Shopify documentation:

- Auth: header ``X-Shopify-Access-Token`` must equal the secret, else HTTP 401
  ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}``.
- Version: only ``2026-04``; any other version answers HTTP 404.
- The query is parsed and validated against the schema below (SDL + resolvers, graphql-core);
  unknown fields or arguments are GraphQL validation errors, as on Shopify.
- Mutations ``inventoryAdjustQuantities`` and ``inventorySetQuantities``:
  * ``@idempotent(key: "...")`` is mandatory (since 2026-04); missing -> top-level error.
    Same key + same input after a success returns the stored result without applying again
    (counted as a replay); same key + different input -> userError
    ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``; same key while the first request still runs ->
    ``IDEMPOTENCY_CONCURRENT_REQUEST``; same key after an attempt that failed with userErrors
    -> ``IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED`` (retry with a new key).
  * ``changeFromQuantity`` must be present on every item (``null`` skips the check; omitted
    -> top-level error); a mismatch -> userError ``CHANGE_FROM_QUANTITY_STALE``.
  * An input array of more than 250 items -> top-level error ``MAX_INPUT_SIZE_EXCEEDED``.
  * Unknown inventory item -> ``INVALID_INVENTORY_ITEM``; unknown location ->
    ``INVALID_LOCATION``; bad quantity name -> ``INVALID_QUANTITY_NAME`` / ``INVALID_NAME``;
    reason outside Shopify's list -> ``INVALID_REASON``; ``referenceDocumentUri`` not a URI ->
    ``INVALID_REFERENCE_DOCUMENT``; untracked item -> ``INVALID_INVENTORY_ITEM`` (sandbox).
  * A mutation is all or nothing: with any userError nothing in it is applied.
  * Adjusting ``available`` also moves ``on_hand``: the adjustment group lists both changes.
- Reads: ``productVariants``, ``orders``, ``locations`` are cursor connections
  (``first``/``after``, ``edges{cursor node}``, ``nodes``, ``pageInfo{hasNextPage endCursor}``);
  ``first`` is mandatory and at most 250, else a top-level error.
- Rate limit: a leaky bucket in query-cost points (``max_available`` 1000, ``restore_rate``
  50/s by default). Cost as documented: scalars 0, objects 1, connections 2 + first x node
  cost, mutations 10. A query costing more than the bucket size -> ``MAX_COST_EXCEEDED``;
  more than what is available -> ``{"errors":[{"message":"Throttled","extensions":
  {"code":"THROTTLED"}}]}`` (HTTP ``throttle_status``, default 200, with ``Retry-After``).
  Every answer has ``extensions.cost{requestedQueryCost actualQueryCost throttleStatus{
  maximumAvailable currentlyAvailable restoreRate}}``; unused requested points are refunded.
  The injected ``throttle`` fault answers HTTP 429 with the same THROTTLED body.

One location (``gid://shopify/Location/76543210001``). Ids are gids; variants, inventory items
and products use different number ranges, so mixing them up fails.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_directive_values,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.utilities import get_operation_ast

from .base import Request, Response, SandboxCart, retry_after_seconds
from .catalog import Item, Order

API_VERSION = "2026-04"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
MAX_PAGE = 250
MAX_INPUT = 250
MUTATION_COST = 10
VARIANT_OFFSET = 40_000_000_000
ITEM_OFFSET = 50_000_000_000
PRODUCT_OFFSET = 8_000_000_000
ORDER_OFFSET = 5_000_000_000
LOCATION_NUMBER = 76_543_210_001
LOCATION_GID = f"gid://shopify/Location/{LOCATION_NUMBER}"
QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "safety_stock",
    "quality_control",
    "unavailable",
)
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"

SDL = """
directive @idempotent(key: String!) on FIELD

scalar DateTime

type Query {
  productVariants(first: Int, after: String, query: String): ProductVariantConnection!
  productVariant(id: ID!): ProductVariant
  inventoryItem(id: ID!): InventoryItem
  locations(first: Int, after: String): LocationConnection!
  location(id: ID): Location
  orders(first: Int, after: String, query: String, sortKey: OrderSortKeys = ID,
         reverse: Boolean = false): OrderConnection!
  order(id: ID!): Order
  shop: Shop!
}

type Mutation {
  inventoryAdjustQuantities(
    input: InventoryAdjustQuantitiesInput!
  ): InventoryAdjustQuantitiesPayload
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Shop { name: String! myshopifyDomain: String! }

type Product { id: ID! title: String! }

type ProductVariant {
  id: ID!
  legacyResourceId: String!
  sku: String
  title: String!
  displayName: String!
  inventoryQuantity: Int
  inventoryItem: InventoryItem!
  product: Product!
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection {
  edges: [ProductVariantEdge!]!
  nodes: [ProductVariant!]!
  pageInfo: PageInfo!
}

type InventoryItem {
  id: ID!
  legacyResourceId: String!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int, after: String): InventoryLevelConnection!
}

type InventoryLevel {
  id: ID!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryLevelEdge { cursor: String! node: InventoryLevel! }
type InventoryLevelConnection {
  edges: [InventoryLevelEdge!]!
  nodes: [InventoryLevel!]!
  pageInfo: PageInfo!
}

type InventoryQuantity { id: ID! name: String! quantity: Int! updatedAt: DateTime }

type Location { id: ID! legacyResourceId: String! name: String! isActive: Boolean! }
type LocationEdge { cursor: String! node: Location! }
type LocationConnection { edges: [LocationEdge!]! nodes: [Location!]! pageInfo: PageInfo! }

enum OrderSortKeys { ID CREATED_AT PROCESSED_AT UPDATED_AT }

type Order {
  id: ID!
  legacyResourceId: String!
  name: String!
  createdAt: DateTime!
  processedAt: DateTime!
  updatedAt: DateTime!
  lineItems(first: Int, after: String): LineItemConnection!
}
type OrderEdge { cursor: String! node: Order! }
type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

type LineItem {
  id: ID!
  sku: String
  name: String!
  quantity: Int!
  currentQuantity: Int!
  variant: ProductVariant
}
type LineItemEdge { cursor: String! node: LineItem! }
type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

input InventoryChangeInput {
  inventoryItemId: ID!
  locationId: ID!
  delta: Int!
  changeFromQuantity: Int
  ledgerDocumentUri: String
}
input InventoryAdjustQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  changes: [InventoryChangeInput!]!
}
input InventorySetQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  changeFromQuantity: Int
}
input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  quantities: [InventorySetQuantityInput!]!
}

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  ledgerDocumentUri: String
  item: InventoryItem
  location: Location
}
type InventoryAdjustmentGroup {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes(
    inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]
  ): [InventoryChange!]!
}

enum InventoryAdjustQuantitiesUserErrorCode {
  ADJUST_QUANTITIES_FAILED
  CHANGE_FROM_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
  INTERNAL_LEDGER_DOCUMENT
  INVALID_AVAILABLE_DOCUMENT
  INVALID_INVENTORY_ITEM
  INVALID_LEDGER_DOCUMENT
  INVALID_LOCATION
  INVALID_QUANTITY_DOCUMENT
  INVALID_QUANTITY_NAME
  INVALID_QUANTITY_TOO_HIGH
  INVALID_QUANTITY_TOO_LOW
  INVALID_REASON
  INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION
  MAX_ONE_LEDGER_DOCUMENT
  NON_MUTABLE_INVENTORY_ITEM
  SERVICE_UNAVAILABLE
}
type InventoryAdjustQuantitiesUserError {
  code: InventoryAdjustQuantitiesUserErrorCode
  field: [String!]
  message: String!
}
type InventoryAdjustQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventoryAdjustQuantitiesUserError!]!
}

enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
  INVALID_INVENTORY_ITEM
  INVALID_LOCATION
  INVALID_NAME
  INVALID_QUANTITY_NEGATIVE
  INVALID_QUANTITY_TOO_HIGH
  INVALID_QUANTITY_TOO_LOW
  INVALID_REASON
  INVALID_REFERENCE_DOCUMENT
  ITEM_NOT_STOCKED_AT_LOCATION
  NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
  NON_MUTABLE_INVENTORY_ITEM
}
type InventorySetQuantitiesUserError {
  code: InventorySetQuantitiesUserErrorCode
  field: [String!]
  message: String!
}
type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}
"""


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: Any, kind: str) -> int | None:
    """The number of ``gid://shopify/<kind>/<n>``, or None when it is not one."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    number = value[len(prefix) :].split("?", 1)[0]
    return int(number) if number.isdigit() else None


def encode_cursor(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{number}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise GraphQLError("Invalid cursor for current pagination sort.") from None
    prefix, _, number = text.partition(":")
    if prefix != kind or not number.isdigit():
        raise GraphQLError("Invalid cursor for current pagination sort.")
    return int(number)


def check_first(first: int | None) -> int:
    """Shopify connections need ``first`` (here: no ``last``), at most 250."""
    if first is None:
        raise GraphQLError(
            "you must provide one of first or last", extensions={"code": "BAD_USER_INPUT"}
        )
    if first < 0:
        raise GraphQLError("first must be a positive number", extensions={"code": "BAD_USER_INPUT"})
    if first > MAX_PAGE:
        raise GraphQLError(
            f"The first argument must be less than or equal to {MAX_PAGE} (was {first}).",
            extensions={"code": "MAX_PAGE_SIZE_EXCEEDED"},
        )
    return first


def connection(nodes: list[Any], cursors: list[str], has_next: bool, has_prev: bool) -> dict:
    return {
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


class CostBucket:
    """Shopify's leaky bucket of query-cost points."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float]) -> None:
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._clock = clock
        self._available = self.maximum
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._available = min(
            self.maximum, self._available + (now - self._last) * self.restore_rate
        )
        self._last = now

    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._available

    def take(self, cost: float) -> float:
        """Take ``cost`` points; 0 when done, else the seconds until they are available."""
        with self._lock:
            self._refill()
            if cost <= self._available:
                self._available -= cost
                return 0.0
            return (cost - self._available) / self.restore_rate

    def refund(self, points: float) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + max(0.0, points))

    def reset(self) -> None:
        with self._lock:
            self._available = self.maximum
            self._last = self._clock()

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": math.floor(self.available()),
            "restoreRate": self.restore_rate,
        }


class QueryCost:
    """Shopify's documented calculated query cost: scalars and enums 0, objects 1,
    connections 2 + first x (cost of one node), each mutation field 10.

    Given the result ``data``, connections count the nodes actually returned instead of
    ``first``: that is the actual cost, and the difference is refunded to the bucket.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def operation(self, selection_set: SelectionSetNode, root: GraphQLObjectType, data: Any) -> int:
        if root is self.schema.mutation_type:
            return MUTATION_COST * len(self._fields(selection_set))
        return self.selection(selection_set, root, data)

    def selection(self, selection_set: SelectionSetNode | None, parent: Any, data: Any) -> int:
        if selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for node in self._fields(selection_set):
            fdef = parent.fields.get(node.name.value)
            if fdef is None:
                continue
            named = get_named_type(fdef.type)
            if is_leaf_type(named) or not isinstance(named, GraphQLObjectType):
                continue
            key = node.alias.value if node.alias else node.name.value
            sub = data.get(key) if isinstance(data, dict) else None
            if data is not None and sub is None:
                continue
            if named.name.endswith("Connection"):
                per_node = 1 + self._node_cost(node.selection_set, named)
                if data is None:
                    size = self._int_arg(node, "first")
                else:
                    found = sub if isinstance(sub, dict) else {}
                    size = len(found.get("nodes") or found.get("edges") or [])
                total += 2 + size * per_node
            else:
                element = (sub[0] if sub else None) if isinstance(sub, list) else sub
                total += 1 + self.selection(node.selection_set, named, element)
        return total

    def _node_cost(self, selection_set: SelectionSetNode | None, conn: GraphQLObjectType) -> int:
        node_type = get_named_type(conn.fields["nodes"].type)
        cost = 0
        for node in self._fields(selection_set):
            if node.name.value == "nodes":
                cost += self.selection(node.selection_set, node_type, None)
            elif node.name.value == "edges":
                for inner in self._fields(node.selection_set):
                    if inner.name.value == "node":
                        cost += self.selection(inner.selection_set, node_type, None)
        return cost

    def _fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for sel in selection_set.selections if selection_set is not None else ():
            if isinstance(sel, FieldNode):
                if not sel.name.value.startswith("__"):
                    out.append(sel)
            elif isinstance(sel, InlineFragmentNode):
                out.extend(self._fields(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in self.fragments:
                out.extend(self._fields(self.fragments[sel.name.value].selection_set))
        return out

    def _int_arg(self, node: FieldNode, name: str) -> int:
        for arg in node.arguments or ():
            if arg.name.value != name:
                continue
            if isinstance(arg.value, IntValueNode):
                return int(arg.value.value)
            if isinstance(arg.value, VariableNode):
                value = self.variables.get(arg.value.name.value)
                return int(value) if isinstance(value, int) else 0
        return 0


@dataclass
class _KeyRecord:
    fingerprint: str
    state: str  # "running" | "done" | "failed"
    payload: dict[str, Any] | None = None


class _Refused(Exception):
    """A top-level GraphQL error raised before anything is applied."""


class ShopifyCart(SandboxCart):
    """Shopify Admin GraphQL 2026-04 sandbox (see the module docstring for the rules)."""

    platform = "shopify"
    default_user = "sandbox-shop"  # the shop name; Shopify authenticates by token only
    default_secret = "shpat_sandbox_0123456789abcdef"  # noqa: S105 (sandbox default)

    def __init__(
        self,
        *,
        max_available: float = 1000.0,
        restore_rate: float = 50.0,
        cost_limit: bool = True,
        throttle_status: int = 200,
        **kwargs: Any,
    ) -> None:
        self.cost_limit = cost_limit
        self.throttle_status = throttle_status
        self._keys: dict[str, _KeyRecord] = {}
        self._keys_lock = threading.Lock()
        self._next_group = 1
        self._doc_cache: OrderedDict[str, tuple[DocumentNode | None, list[Any]]] = OrderedDict()
        self._doc_lock = threading.Lock()
        #: Test hook: clear it to hold mutations after their key is recorded as running.
        self.mutation_gate = threading.Event()
        self.mutation_gate.set()
        #: Set whenever a mutation has recorded its key and waits at the gate.
        self.mutation_entered = threading.Event()
        super().__init__(**kwargs)
        self.bucket = CostBucket(max_available, restore_rate, self.clock)
        self.schema = self._build_schema()

    def describe(self) -> list[str]:
        return [
            f"GraphQL endpoint: {self.url}{GRAPHQL_PATH}",
            f"X-Shopify-Access-Token: {self.secret}",
            f"location: {LOCATION_GID}",
        ]

    # -- persistence hooks -----------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        with self._keys_lock:
            keys = {
                k: [r.fingerprint, r.state, r.payload]
                for k, r in self._keys.items()
                if r.state != "running"
            }
        return {"idempotency": keys, "next_group": self._next_group}

    def load_extra_state(self, state: Mapping[str, Any]) -> None:
        with self._keys_lock:
            for key, (fingerprint, status, payload) in state.get("idempotency", {}).items():
                self._keys[key] = _KeyRecord(fingerprint, status, payload)
            self._next_group = int(state.get("next_group", 1))

    def reset_platform_state(self) -> None:
        with self._keys_lock:
            self._keys.clear()
        if hasattr(self, "bucket"):
            self.bucket.reset()

    # -- HTTP ------------------------------------------------------------------------------
    def _cost_extension(self, requested: int | None, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }

    def _throttled(self, status: int, requested: int | None, retry_after: int) -> Response:
        body = {
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": self._cost_extension(requested, None),
        }
        return Response.json(body, status, {"Retry-After": str(retry_after)})

    def throttle_response(self, retry_after: int) -> Response:
        return self._throttled(429, None, retry_after)

    def handle(self, request: Request) -> Response:
        path = request.path
        if not (path.startswith("/admin/api/") and path.endswith("/graphql.json")):
            return Response.json({"errors": "Not Found"}, 404)
        if path != GRAPHQL_PATH:
            return Response.json(
                {"errors": f"Not Found: this sandbox only serves API version {API_VERSION}"}, 404
            )
        if request.method != "POST":
            return Response.json({"errors": "GraphQL requests must be POST"}, 405)
        if request.header("X-Shopify-Access-Token") != self.secret:
            return Response.json({"errors": UNAUTHORIZED}, 401)
        try:
            query, variables, operation_name = self._read_body(request)
        except ValueError as exc:
            return Response.json({"errors": {"query": str(exc)}}, 400)
        return self._run(query, variables, operation_name)

    @staticmethod
    def _read_body(request: Request) -> tuple[str, dict[str, Any], str | None]:
        ctype = (request.header("Content-Type") or "").lower()
        if "application/graphql" in ctype:
            return request.body.decode("utf-8"), {}, None
        try:
            data = request.json()
        except (ValueError, UnicodeDecodeError):
            raise ValueError("Required parameter missing or invalid (body is not JSON)") from None
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            raise ValueError("Required parameter missing or invalid")
        variables = data.get("variables") or {}
        if not isinstance(variables, dict):
            raise ValueError("variables must be an object")
        name = data.get("operationName")
        return data["query"], variables, name if isinstance(name, str) else None

    def _document(self, query: str) -> tuple[DocumentNode | None, list[Any]]:
        """Parse and validate, with a small LRU cache keyed by the query text."""
        with self._doc_lock:
            hit = self._doc_cache.get(query)
            if hit is not None:
                self._doc_cache.move_to_end(query)
                return hit
        try:
            document: DocumentNode | None = parse(query)
        except GraphQLError as exc:
            result: tuple[DocumentNode | None, list[Any]] = (None, [exc.formatted])
        else:
            assert document is not None
            errors = validate(self.schema, document)
            result = (document, [e.formatted for e in errors])
        with self._doc_lock:
            self._doc_cache[query] = result
            if len(self._doc_cache) > 512:
                self._doc_cache.popitem(last=False)
        return result

    def _run(self, query: str, variables: dict[str, Any], operation_name: str | None) -> Response:
        document, errors = self._document(query)
        if document is None or errors:
            return Response.json({"errors": errors, "extensions": self._cost_extension(0, 0)})
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                "An operation name is required"
                if operation_name is None
                else (f"No operation named {operation_name!r}")
            )
            return Response.json({"errors": [{"message": message}]})
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        root = (
            self.schema.mutation_type
            if operation.operation == OperationType.MUTATION
            else (self.schema.query_type)
        )
        assert root is not None
        costing = QueryCost(self.schema, fragments, variables)
        requested = costing.operation(operation.selection_set, root, None)
        for root_field in operation.selection_set.selections:
            if isinstance(root_field, FieldNode):
                self.stats.operation(root_field.name.value)
        if self.cost_limit:
            if requested > self.bucket.maximum:
                too_costly = {
                    "errors": [
                        {
                            "message": f"Query cost is {requested}, which exceeds the single "
                            f"query max cost limit ({int(self.bucket.maximum)}).",
                            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested},
                        }
                    ],
                    "extensions": self._cost_extension(requested, None),
                }
                return Response.json(too_costly)
            wait = self.bucket.take(requested)
            if wait > 0:
                self.stats.add("rate_limited")
                return self._throttled(self.throttle_status, requested, retry_after_seconds(wait))
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
        )
        actual = costing.operation(operation.selection_set, root, result.data)
        if self.cost_limit:
            self.bucket.refund(requested - actual)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        body["data"] = result.data
        body["extensions"] = self._cost_extension(requested, actual)
        return Response.json(body)

    # -- schema and resolvers --------------------------------------------------------------
    def _build_schema(self) -> GraphQLSchema:
        schema = build_schema(SDL)
        resolvers: dict[str, dict[str, Callable[..., Any]]] = {
            "Query": {
                "productVariants": self._q_variants,
                "productVariant": lambda _r, _i, id: self._item_by_gid(id, "ProductVariant"),
                "inventoryItem": lambda _r, _i, id: self._item_by_gid(id, "InventoryItem"),
                "locations": self._q_locations,
                "location": lambda _r, _i, id=None: (
                    self._location() if id in (None, LOCATION_GID) else None
                ),
                "orders": self._q_orders,
                "order": self._q_order,
                "shop": lambda _r, _i: {
                    "name": self.user,
                    "myshopifyDomain": f"{self.user}.myshopify.com",
                },
            },
            "Mutation": {
                "inventoryAdjustQuantities": self._m_adjust,
                "inventorySetQuantities": self._m_set,
            },
            "ProductVariant": {
                "id": lambda i, _: gid("ProductVariant", VARIANT_OFFSET + i.seq),
                "legacyResourceId": lambda i, _: str(VARIANT_OFFSET + i.seq),
                "sku": lambda i, _: i.sku,
                "title": lambda i, _: "Default Title",
                "displayName": lambda i, _: f"{i.sku} - Default Title",
                "inventoryQuantity": lambda i, _: i.qoh,
                "inventoryItem": lambda i, _: i,
                "product": lambda i, _: {
                    "id": gid("Product", PRODUCT_OFFSET + i.seq),
                    "title": i.sku,
                },
            },
            "InventoryItem": {
                "id": lambda i, _: gid("InventoryItem", ITEM_OFFSET + i.seq),
                "legacyResourceId": lambda i, _: str(ITEM_OFFSET + i.seq),
                "sku": lambda i, _: i.sku,
                "tracked": lambda i, _: i.qoh is not None,
                "variant": lambda i, _: i,
                "inventoryLevel": lambda i, _, locationId: (
                    i if locationId == LOCATION_GID else None
                ),
                "inventoryLevels": self._q_levels,
            },
            "InventoryLevel": {
                "id": lambda i, _: (
                    f"gid://shopify/InventoryLevel/{LOCATION_NUMBER}"
                    f"?inventory_item_id={ITEM_OFFSET + i.seq}"
                ),
                "item": lambda i, _: i,
                "location": lambda i, _: self._location(),
                "quantities": self._r_quantities,
            },
            "Order": {
                "id": lambda o, _: gid("Order", ORDER_OFFSET + o.number),
                "legacyResourceId": lambda o, _: str(ORDER_OFFSET + o.number),
                "name": lambda o, _: f"#{o.number}",
                "createdAt": lambda o, _: self._iso(o),
                "processedAt": lambda o, _: self._iso(o),
                "updatedAt": lambda o, _: self._iso(o),
                "lineItems": self._r_line_items,
            },
            "InventoryAdjustmentGroup": {"changes": self._r_group_changes},
            "InventoryChange": {
                "item": lambda c, _: self.catalog.by_seq(int(c["itemSeq"])),
                "location": lambda c, _: self._location(),
            },
        }
        for type_name, fields in resolvers.items():
            gql_type = schema.get_type(type_name)
            assert isinstance(gql_type, GraphQLObjectType)
            for field_name, fn in fields.items():
                gql_type.fields[field_name].resolve = fn
        return schema

    @staticmethod
    def _iso(order: Order) -> str:
        return order.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def _location() -> dict[str, Any]:
        return {
            "id": LOCATION_GID,
            "legacyResourceId": str(LOCATION_NUMBER),
            "name": "Sandbox Warehouse",
            "isActive": True,
        }

    def _item_by_gid(self, value: str, kind: str) -> Item | None:
        number = parse_gid(value, kind)
        offset = VARIANT_OFFSET if kind == "ProductVariant" else ITEM_OFFSET
        if number is None or number <= offset:
            return None
        return self.catalog.by_seq(number - offset)

    def _q_variants(
        self,
        _root: Any,
        _info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
    ) -> dict:
        size = check_first(first)
        after_seq = decode_cursor(after, "ProductVariant") if after else 0
        if query:
            skus = self._sku_filter(query)
            with self.catalog.lock:
                matches = sorted(
                    (i for i in (self.catalog.get(s) for s in skus) if i is not None),
                    key=lambda i: i.seq,
                )
            rest = [i for i in matches if i.seq > after_seq]
            items, has_next = rest[:size], len(rest) > size
            has_prev = len(rest) < len(matches)
        else:
            with self.catalog.lock:
                pos = self.catalog.position_after(after_seq)
                items = self.catalog.page(pos, size + 1)
            has_next, items, has_prev = len(items) > size, items[:size], pos > 0
        cursors = [encode_cursor("ProductVariant", i.seq) for i in items]
        return connection(items, cursors, has_next, has_prev)

    @staticmethod
    def _sku_filter(query: str) -> list[str]:
        """Supported search syntax: ``sku:A`` terms joined by ``OR``."""
        skus: list[str] = []
        for term in query.split(" OR "):
            field, _, value = term.strip().partition(":")
            if field != "sku" or not value:
                raise GraphQLError(
                    f"sandbox: unsupported productVariants query {term.strip()!r} "
                    "(supported: sku:VALUE [OR sku:VALUE ...])"
                )
            skus.append(value.strip().strip("'\""))
        return skus

    def _q_levels(
        self,
        item: Item,
        _info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> dict:
        size = check_first(first)
        items = [item] if (size > 0 and not after) else []
        return connection(items, [encode_cursor("InventoryLevel", 1)] * len(items), False, False)

    def _q_locations(
        self,
        _root: Any,
        _info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> dict:
        size = check_first(first)
        nodes = [self._location()] if (size > 0 and not after) else []
        return connection(nodes, [encode_cursor("Location", 1)] * len(nodes), False, bool(after))

    @staticmethod
    def _r_quantities(item: Item, _info: GraphQLResolveInfo, names: list[str]) -> list[dict]:
        out = []
        for name in names:
            if name not in QUANTITY_NAMES:
                raise GraphQLError(f"Invalid quantity name {name!r}.")
            quantity = (item.qoh or 0) if name in ("available", "on_hand") else 0
            out.append(
                {
                    "id": f"gid://shopify/InventoryQuantity/{ITEM_OFFSET + item.seq}?name={name}",
                    "name": name,
                    "quantity": quantity,
                    "updatedAt": None,
                }
            )
        return out

    # -- orders ----------------------------------------------------------------------------
    def _q_order(self, _root: Any, _info: GraphQLResolveInfo, id: str) -> Order | None:
        number = parse_gid(id, "Order")
        with self.catalog.lock:
            for order in self.catalog.orders:
                if number is not None and ORDER_OFFSET + order.number == number:
                    return order
        return None

    def _q_orders(
        self,
        _root: Any,
        _info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sortKey: str = "ID",
        reverse: bool = False,
    ) -> dict:
        size = check_first(first)
        predicate = self._order_filter(query or "")
        with self.catalog.lock:
            orders = [o for o in self.catalog.orders if predicate(o)]
        orders.sort(key=lambda o: o.number, reverse=reverse)
        if after:
            last = decode_cursor(after, "Order")
            orders_after = [o for o in orders if (o.number < last if reverse else o.number > last)]
        else:
            orders_after = orders
        page = orders_after[:size]
        cursors = [encode_cursor("Order", o.number) for o in page]
        return connection(page, cursors, len(orders_after) > size, len(orders_after) < len(orders))

    @staticmethod
    def _order_filter(query: str) -> Callable[[Order], bool]:
        """Supported search syntax (terms ANDed): ``id:>N`` (also >=, <, <=, =) on the
        numeric order id, ``created_at:>ISO`` / ``updated_at:`` / ``processed_at:``,
        ``name:#1001``; ``status:``, ``financial_status:``, ``fulfillment_status:`` match all."""
        checks: list[Callable[[Order], bool]] = []
        for term in query.split():
            if term.upper() == "AND":
                continue
            field, sep, raw = term.partition(":")
            if not sep:
                raise GraphQLError(f"sandbox: unsupported orders query term {term!r}")
            op = next((o for o in (">=", "<=", ">", "<", "=") if raw.startswith(o)), "=")
            value = raw[len(op) :].strip("'\"") if raw.startswith(op) else raw.strip("'\"")
            if field in ("status", "financial_status", "fulfillment_status"):
                continue
            if field == "id":
                target: Any = parse_gid(value, "Order") or (int(value) if value.isdigit() else None)
                if target is None:
                    raise GraphQLError(f"sandbox: bad id in orders query {term!r}")
                checks.append(_compare(lambda o: ORDER_OFFSET + o.number, op, target))
            elif field in ("created_at", "updated_at", "processed_at"):
                checks.append(_compare(ShopifyCart._iso, op, _normalise_iso(value)))
            elif field == "name":
                checks.append(_compare(lambda o: f"#{o.number}", "=", "#" + value.lstrip("#")))
            else:
                raise GraphQLError(f"sandbox: unsupported orders query field {field!r}")
        return lambda order: all(check(order) for check in checks)

    def _r_line_items(
        self,
        order: Order,
        _info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
    ) -> dict:
        size = check_first(first)
        start = decode_cursor(after, "LineItem") if after else 0
        lines = order.lines[start : start + size]
        nodes = [
            {
                "id": gid("LineItem", order.number * 1000 + start + n),
                "sku": ln.sku,
                "name": ln.sku,
                "quantity": ln.qty,
                "currentQuantity": ln.qty,
                "variant": self.catalog.by_seq(ln.seq),
            }
            for n, ln in enumerate(lines, start=1)
        ]
        cursors = [encode_cursor("LineItem", start + n) for n in range(1, len(nodes) + 1)]
        return connection(nodes, cursors, start + size < len(order.lines), start > 0)

    # -- mutations -------------------------------------------------------------------------
    def _m_adjust(self, _root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict:
        return self._mutate(info, "inventoryAdjustQuantities", input, "changes", self._apply_adjust)

    def _m_set(self, _root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict:
        return self._mutate(info, "inventorySetQuantities", input, "quantities", self._apply_set)

    def _mutate(
        self,
        info: GraphQLResolveInfo,
        field: str,
        data: dict[str, Any],
        array: str,
        apply: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict:
        """Idempotency, input limits and the changeFromQuantity rule around one mutation."""
        directive = self.schema.get_directive("idempotent")
        assert directive is not None
        args = get_directive_values(directive, info.field_nodes[0], info.variable_values)
        key = (args or {}).get("key")
        if not key:
            raise GraphQLError(
                f"The @idempotent directive with a key is required for {field} "
                f"as of API version {API_VERSION}.",
                info.field_nodes,
                extensions={"code": "IDEMPOTENCY_KEY_REQUIRED"},
            )
        entries = data[array]
        if len(entries) > MAX_INPUT:
            raise GraphQLError(
                f"The input array size of {len(entries)} is greater than the maximum allowed "
                f"of {MAX_INPUT}.",
                info.field_nodes,
                extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
            )
        for n, entry in enumerate(entries):
            if "changeFromQuantity" not in entry:
                raise GraphQLError(
                    f"input.{array}[{n}].changeFromQuantity is required as of API version "
                    f"{API_VERSION}: pass the expected current quantity, or null to skip the "
                    "check.",
                    info.field_nodes,
                    extensions={"code": "BAD_USER_INPUT"},
                )
        fingerprint = json.dumps([field, data], sort_keys=True, default=str)
        with self._keys_lock:
            record = self._keys.get(key)
            if record is not None:
                if record.fingerprint != fingerprint:
                    return _payload_error(
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        "The same idempotency key cannot be used with different operation "
                        "parameters.",
                    )
                if record.state == "running":
                    return _payload_error(
                        "IDEMPOTENCY_CONCURRENT_REQUEST",
                        "This request is currently in progress, please try again.",
                    )
                if record.state == "failed":
                    return _payload_error(
                        "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
                        "A previous request with this idempotency key failed. Retry with a "
                        "new idempotency key.",
                    )
                assert record.payload is not None
                self.stats.replayed()
                return record.payload
            record = _KeyRecord(fingerprint, "running")
            self._keys[key] = record
        self.mutation_entered.set()
        self.mutation_gate.wait(timeout=60)
        try:
            with self.catalog.lock:
                payload = apply(data)
                record.payload = payload
                record.state = "failed" if payload["userErrors"] else "done"
                group = payload["inventoryAdjustmentGroup"]
                if group is not None:
                    changed = sum(1 for c in group["changes"] if c["name"] == data["name"])
                    self.stats.applied(changed, key=key, reference=data.get("referenceDocumentUri"))
                else:
                    self.stats.add("changes_refused", len(entries))
                self.catalog.version += 1
        except BaseException:
            with self._keys_lock:
                self._keys.pop(key, None)
            raise
        return payload

    def _check_common(self, data: dict[str, Any], name_code: str, names: tuple[str, ...]) -> list:
        errors: list[dict[str, Any]] = []
        if data["name"] not in names:
            errors.append(
                _user_error(
                    name_code,
                    f"The quantity name must be one of: {', '.join(names)}.",
                    ["input", "name"],
                )
            )
        if data["reason"] not in REASONS:
            errors.append(
                _user_error(
                    "INVALID_REASON", "The specified reason is invalid.", ["input", "reason"]
                )
            )
        uri = data.get("referenceDocumentUri")
        if uri is not None and (":" not in uri or uri.startswith(":")):
            errors.append(
                _user_error(
                    "INVALID_REFERENCE_DOCUMENT",
                    "The specified reference document is invalid.",
                    ["input", "referenceDocumentUri"],
                )
            )
        return errors

    def _resolve_item(
        self, entry: dict[str, Any], path: list[str], errors: list[dict[str, Any]]
    ) -> Item | None:
        item = self._item_by_gid(entry["inventoryItemId"], "InventoryItem")
        if item is None:
            errors.append(
                _user_error(
                    "INVALID_INVENTORY_ITEM",
                    "The specified inventory item could not be found.",
                    [*path, "inventoryItemId"],
                )
            )
            return None
        if entry["locationId"] != LOCATION_GID:
            errors.append(
                _user_error(
                    "INVALID_LOCATION",
                    "The specified location could not be found.",
                    [*path, "locationId"],
                )
            )
            return None
        if item.qoh is None:
            errors.append(
                _user_error(
                    "INVALID_INVENTORY_ITEM",
                    "The inventory item is not tracked (tracked: false); its quantities "
                    "cannot be changed.",
                    [*path, "inventoryItemId"],
                )
            )
            return None
        return item

    def _apply_adjust(self, data: dict[str, Any]) -> dict[str, Any]:
        errors = self._check_common(data, "INVALID_QUANTITY_NAME", ("available",))
        plan: list[tuple[Item, int, dict[str, Any]]] = []
        running: dict[int, int] = {}
        for n, entry in enumerate(data["changes"]):
            path = ["input", "changes", str(n)]
            item = self._resolve_item(entry, path, errors)
            if item is None:
                continue
            current = running.get(item.seq, item.qoh or 0)
            expected = entry["changeFromQuantity"]
            if expected is not None and expected != current:
                errors.append(
                    _user_error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        f"The changeFromQuantity argument no longer matches the persisted "
                        f"quantity (expected {expected}, found {current}).",
                        [*path, "changeFromQuantity"],
                    )
                )
                continue
            after = current + entry["delta"]
            if not -2_000_000_000 <= after <= 2_000_000_000:
                code = "INVALID_QUANTITY_TOO_HIGH" if after > 0 else "INVALID_QUANTITY_TOO_LOW"
                errors.append(_user_error(code, "The quantity is out of range.", [*path, "delta"]))
                continue
            running[item.seq] = after
            plan.append((item, entry["delta"], entry))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[dict[str, Any]] = []
        for item, delta, entry in plan:
            self.catalog.set_qoh(item, (item.qoh or 0) + delta)
            for name in ("available", "on_hand"):
                changes.append(
                    {
                        "name": name,
                        "delta": delta,
                        "quantityAfterChange": item.qoh,
                        "ledgerDocumentUri": entry.get("ledgerDocumentUri"),
                        "itemSeq": item.seq,
                    }
                )
        return {"inventoryAdjustmentGroup": self._group(data, changes), "userErrors": []}

    def _apply_set(self, data: dict[str, Any]) -> dict[str, Any]:
        errors = self._check_common(data, "INVALID_NAME", ("available", "on_hand"))
        plan: list[tuple[Item, int]] = []
        seen: set[int] = set()
        for n, entry in enumerate(data["quantities"]):
            path = ["input", "quantities", str(n)]
            item = self._resolve_item(entry, path, errors)
            if item is None:
                continue
            if item.seq in seen:
                errors.append(
                    _user_error(
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                        "The same inventory item and location appear more than once.",
                        [*path, "inventoryItemId"],
                    )
                )
                continue
            seen.add(item.seq)
            current = item.qoh or 0
            expected = entry["changeFromQuantity"]
            if expected is not None and expected != current:
                errors.append(
                    _user_error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        f"The changeFromQuantity value does not match the persisted value "
                        f"(expected {expected}, found {current}).",
                        [*path, "changeFromQuantity"],
                    )
                )
                continue
            if entry["quantity"] > 1_000_000_000:
                errors.append(
                    _user_error(
                        "INVALID_QUANTITY_TOO_HIGH",
                        "The total quantity can't be higher than 1,000,000,000.",
                        [*path, "quantity"],
                    )
                )
                continue
            plan.append((item, entry["quantity"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[dict[str, Any]] = []
        for item, quantity in plan:
            delta = quantity - (item.qoh or 0)
            self.catalog.set_qoh(item, quantity)
            if delta == 0:
                continue
            for name in ("available", "on_hand"):
                changes.append(
                    {
                        "name": name,
                        "delta": delta,
                        "quantityAfterChange": quantity,
                        "ledgerDocumentUri": None,
                        "itemSeq": item.seq,
                    }
                )
        return {"inventoryAdjustmentGroup": self._group(data, changes), "userErrors": []}

    def _group(self, data: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
        number = self._next_group
        self._next_group += 1
        return {
            "id": gid("InventoryAdjustmentGroup", number),
            "createdAt": self.wall_clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "reason": data["reason"],
            "referenceDocumentUri": data.get("referenceDocumentUri"),
            "changes": changes,
        }

    @staticmethod
    def _r_group_changes(
        group: dict[str, Any],
        _info: GraphQLResolveInfo,
        inventoryItemIds: list[str] | None = None,
        locationIds: list[str] | None = None,
        quantityNames: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        out = group["changes"]
        if inventoryItemIds is not None:
            wanted = {parse_gid(i, "InventoryItem") for i in inventoryItemIds}
            out = [c for c in out if ITEM_OFFSET + int(c["itemSeq"]) in wanted]
        if locationIds is not None and LOCATION_GID not in locationIds:
            out = []
        if quantityNames is not None:
            out = [c for c in out if c["name"] in quantityNames]
        return out


def _user_error(code: str | None, message: str, field: list[str] | None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def _payload_error(code: str, message: str) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": None, "userErrors": [_user_error(code, message, None)]}


def _normalise_iso(value: str) -> str:
    """Make a date or datetime comparable with ``YYYY-MM-DDTHH:MM:SSZ`` strings."""
    text = value.strip().replace(" ", "T")
    if len(text) == 10:
        text += "T00:00:00Z"
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    if not text.endswith("Z"):
        text += "Z"
    return text


def _compare(get: Callable[[Order], Any], op: str, target: Any) -> Callable[[Order], bool]:
    ops: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=": lambda a, b: a == b,
    }
    fn = ops[op]
    return lambda order: fn(get(order), target)
