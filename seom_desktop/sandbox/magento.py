"""Sandbox of the Magento 2 / Adobe Commerce REST API with MSI source items.

Base ``/rest/V1`` (``/rest/default/V1`` and ``/rest/all/V1`` too). Rules enforced, from the
Adobe Commerce web API documentation and Magento's source:

- Auth: ``Authorization: Bearer <integration token>``, else HTTP 401
  ``{"message": "The consumer isn't authorized to access %resources.", "parameters":
  {"resources": "..."}}``. Errors keep Magento's shape: a message with ``%placeholders`` and
  their ``parameters``; validation failures add ``errors: [{message, parameters}]``.
- ``POST /V1/inventory/source-items {"sourceItems": [{sku, source_code, quantity, status}]}``
  sets quantities (absolute only; there is no delta endpoint) and answers ``[]``. The request
  is all or nothing: an empty list -> 400 ``Input data is empty``; an empty ``sku`` or
  ``source_code``, a ``source_code`` with whitespace, a missing or non-numeric ``quantity``, a
  ``status`` other than 0/1 -> 400 ``Validation Failed``; an unknown ``source_code`` -> 400
  ``Could not save Source Item``. ``status`` is stored as sent (omitted: unchanged): a source
  item with quantity > 0 and status 0 stays out of stock, as in Magento; the stats list them.
- Input limits (``input_limit=N``, off by default, Magento's documented default when on is
  20): a ``sourceItems`` array longer than N -> 400 ``Maximum items of type "%type" is %max``;
  and ``searchCriteria[pageSize]`` above ``max_page_size`` (300) -> 400 ``Maximum
  SearchCriteria pageSize is %max``; a missing page size then defaults to
  ``default_page_size`` (20).
- ``GET /V1/inventory/source-items?searchCriteria[pageSize]=N&searchCriteria[currentPage]=P``
  -> ``{"items": [{sku, source_code, quantity, status}], "search_criteria": {...},
  "total_count": N}``. ``searchCriteria`` is required (``searchCriteria=`` alone is fine);
  filters ``searchCriteria[filter_groups][g][filters][f][field|value|condition_type]``
  (``filterGroups`` / ``conditionType`` too): filters of a group are ORed, groups ANDed;
  conditions eq neq gt gteq lt lteq in nin like null notnull. ``sortOrders`` /
  ``sort_orders`` with ``field`` and ``direction``. Without limits and without a page size,
  everything comes back in one page.
- As Magento's collections do, a ``currentPage`` past the last page answers the **last page
  again** (not an empty list): a client must stop on ``total_count``, not on an empty page
  (``clamp_pages=False`` turns this off).
- ``GET /V1/orders?searchCriteria...`` (fields ``entity_id``, ``increment_id``,
  ``created_at``, ``updated_at``, ``status``; dates ``YYYY-MM-DD HH:MM:SS`` UTC) and
  ``GET /V1/orders/{id}``; each order has ``items`` with ``sku`` and ``qty_ordered``.

Sources: ``sources`` (default ``("default",)``); the catalogue's quantity lives at the first
one. A write to another configured source is stored apart and listed, but does not change the
catalogue (writing to the wrong source is a connector bug the tests can see).

Not confirmed, chosen here: real Magento (issue magento/magento2#38154, confirmed) answers 200
for an unknown SKU and creates an orphan source item; the sandbox refuses it with 400
``Validation Failed`` by default (``unknown_sku="accept"`` mimics Magento: 200, an orphan row
listed by GET, the catalogue untouched). A missing ``quantity`` is refused (the API marks it
optional). Quantities must be whole numbers. Untracked catalogue items (no stock management)
are listed with quantity 0, status 1; writes to them are accepted and ignored (counted).
Web orders lower the source quantity at once (real MSI reserves at order time and deducts at
shipment).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from .base import Request, Response, SandboxCart
from .catalog import Item, Order

PREFIXES = ("/rest/V1", "/rest/default/V1", "/rest/all/V1")
SOURCE_ITEM_TYPE = "\\Magento\\InventoryApi\\Api\\Data\\SourceItemInterface"
_CRITERIA = re.compile(r"^searchCriteria((?:\[[^\]]*\])*)$")
_KEY = re.compile(r"\[([^\]]*)\]")
_CONDITIONS = frozenset(
    {"eq", "neq", "gt", "gteq", "lt", "lteq", "in", "nin", "like", "nlike", "null", "notnull"}
)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class MagentoError(Exception):
    """``{"message", "parameters"?, "errors"?}`` with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        parameters: Mapping[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.parameters, self.errors = dict(parameters or {}), errors

    def response(self) -> Response:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        if self.parameters:
            body["parameters"] = self.parameters
        return Response.json(body, self.status)


def _sort_key(field: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        return row.get(field) is None, row.get(field)

    return key


def _field_error(message: str, **parameters: Any) -> dict[str, Any]:
    return {"message": message, "parameters": parameters}


class SearchCriteria:
    """``searchCriteria[...]`` query parameters, parsed into groups, sort and page."""

    def __init__(self, query: Mapping[str, list[str]]) -> None:
        tree: dict[str, Any] = {}
        found = False
        for key, values in query.items():
            match = _CRITERIA.match(key)
            if not match:
                continue
            found = True
            path = [self._snake(p) for p in _KEY.findall(match.group(1))]
            if path:
                node = tree
                for part in path[:-1]:
                    node = node.setdefault(part, {})
                    if not isinstance(node, dict):
                        raise MagentoError(400, "searchCriteria is malformed")
                node[path[-1]] = values[0]
        if not found:
            raise MagentoError(
                400,
                '"%fieldName" is required. Enter and try again.',
                {"fieldName": "searchCriteria"},
            )
        self.page_size = self._number(tree.get("page_size"), "pageSize")
        self.current_page = self._number(tree.get("current_page"), "currentPage")
        self.groups: list[list[tuple[str, str, str]]] = []
        for _, group in sorted(self._indexed(tree.get("filter_groups"))):
            filters = []
            for _, flt in sorted(self._indexed(group.get("filters") if group else None)):
                field = str(flt.get("field", ""))
                condition = str(flt.get("condition_type", "eq") or "eq").lower()
                if not field:
                    raise MagentoError(400, "a filter needs a field")
                if condition not in _CONDITIONS:
                    raise MagentoError(400, 'Invalid condition type "%1"', {"1": condition})
                filters.append((field, condition, str(flt.get("value", ""))))
            if filters:
                self.groups.append(filters)
        self.sort: list[tuple[str, bool]] = []
        for _, order in sorted(self._indexed(tree.get("sort_orders"))):
            direction = str(order.get("direction", "ASC")).upper()
            self.sort.append((str(order.get("field", "")), direction == "DESC"))

    @staticmethod
    def _snake(part: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower()

    @staticmethod
    def _indexed(node: Any) -> list[tuple[int, dict[str, Any]]]:
        if not isinstance(node, dict):
            return []
        out = []
        for key, value in node.items():
            if not key.isdigit() or not isinstance(value, dict):
                raise MagentoError(400, "searchCriteria is malformed")
            out.append((int(key), value))
        return out

    @staticmethod
    def _number(raw: Any, name: str) -> int | None:
        if raw is None or raw == "":
            return None
        try:
            value = int(str(raw))
        except ValueError:
            raise MagentoError(
                400,
                'The "%1" value\'s type is invalid. The "int" type was expected.',
                {"1": raw},
            ) from None
        if value < 0:
            raise MagentoError(400, f"{name} must be 0 or more")
        return value

    @staticmethod
    def _test(condition: str, actual: Any, target: str) -> bool:
        if condition == "null":
            return actual is None
        if condition == "notnull":
            return actual is not None
        if condition in ("in", "nin"):
            hit = str(actual) in {v.strip() for v in target.split(",")}
            return hit if condition == "in" else not hit
        if condition in ("like", "nlike"):
            regex = "".join(".*" if c == "%" else re.escape(c) for c in target)
            hit = re.fullmatch(regex, str(actual), re.IGNORECASE) is not None
            return hit if condition == "like" else not hit
        left: Any = actual
        right: Any = target
        if isinstance(actual, int | float) and not isinstance(actual, bool):
            try:
                right = float(target)
            except ValueError:
                return False
        else:
            left = "" if actual is None else str(actual)
        return {
            "eq": left == right,
            "neq": left != right,
            "gt": left > right,
            "gteq": left >= right,
            "lt": left < right,
            "lteq": left <= right,
        }[condition]

    def matches(self, row: Mapping[str, Any]) -> bool:
        return all(
            any(self._test(cond, row.get(field), value) for field, cond, value in group)
            for group in self.groups
        )

    def echo(self, page_size: int | None, page: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "filter_groups": [
                {"filters": [{"field": f, "value": v, "condition_type": c} for f, c, v in g]}
                for g in self.groups
            ]
        }
        if self.sort:
            out["sort_orders"] = [
                {"field": f, "direction": "DESC" if d else "ASC"} for f, d in self.sort
            ]
        if page_size is not None:
            out["page_size"] = page_size
        out["current_page"] = page
        return out


class MagentoCart(SandboxCart):
    """Magento 2 REST / MSI sandbox (see the module docstring for the rules)."""

    platform = "magento"
    default_user = "admin"
    default_secret = "magento_sandbox_integration_token_0123456789"  # noqa: S105

    def __init__(
        self,
        *,
        input_limit: int | None = None,
        max_page_size: int = 300,
        default_page_size: int = 20,
        sources: tuple[str, ...] | list[str] = ("default",),
        unknown_sku: str = "error",
        clamp_pages: bool = True,
        **kwargs: Any,
    ) -> None:
        if not sources:
            raise ValueError("magento sandbox: at least one source is needed")
        if unknown_sku not in ("error", "accept"):
            raise ValueError('magento sandbox: unknown_sku must be "error" or "accept"')
        self.input_limit = input_limit
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size
        self.sources = tuple(sources)
        self.unknown_sku = unknown_sku
        self.clamp_pages = clamp_pages
        self._status: dict[str, int] = {}
        self._other: dict[tuple[str, str], tuple[int, int]] = {}
        self._counters: dict[str, int] = {}
        super().__init__(**kwargs)
        self._reset_counters()

    @property
    def source(self) -> str:
        """The source holding the catalogue's quantities."""
        return self.sources[0]

    def describe(self) -> list[str]:
        limits = f"on ({self.input_limit})" if self.input_limit else "off"
        return [
            f"REST base: {self.url}/rest/V1",
            f"Authorization: Bearer {self.secret}",
            f"sources: {', '.join(self.sources)}; input limits: {limits}",
        ]

    # -- state -----------------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self._counters = {"untracked_ignored": 0, "unknown_sku_accepted": 0}

    def reset_platform_state(self) -> None:
        self._status, self._other = {}, {}
        self._reset_counters()

    def extra_state(self) -> dict[str, Any]:
        return {
            "status": dict(self._status),
            "other": [[s, src, q, st] for (s, src), (q, st) in self._other.items()],
        }

    def load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._status = {str(k): int(v) for k, v in (state.get("status") or {}).items()}
        self._other = {
            (str(s), str(src)): (int(q), int(st)) for s, src, q, st in state.get("other") or []
        }

    def status_of(self, item: Item) -> int:
        default = 1 if item.qoh is None or item.qoh > 0 else 0
        return self._status.get(item.sku, default)

    def platform_stats(self) -> dict[str, Any]:
        with self.catalog.lock:
            stuck = sorted(
                i.sku
                for i in self.catalog
                if i.qoh is not None and i.qoh > 0 and self.status_of(i) == 0
            )
            return {
                **self._counters,
                "out_of_stock_with_quantity": stuck,
                "other_source_items": len(self._other),
            }

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        rest = None
        for prefix in PREFIXES:
            if request.path.startswith(prefix + "/"):
                rest = request.path[len(prefix) :].rstrip("/")
                break
        if rest is None:
            return MagentoError(404, "Request does not match any route.").response()
        try:
            self._authenticate(request, rest)
            return self._route(request, rest)
        except MagentoError as exc:
            return exc.response()

    def _authenticate(self, request: Request, rest: str) -> None:
        auth = request.header("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.secret:
            resource = (
                "Magento_Sales::actions_view"
                if rest.startswith("/orders")
                else "Magento_InventoryApi::source"
            )
            raise MagentoError(
                401,
                "The consumer isn't authorized to access %resources.",
                {"resources": resource},
            )

    def _route(self, request: Request, rest: str) -> Response:
        method = request.method
        if rest == "/inventory/source-items":
            if method == "POST":
                self.stats.operation("POST /V1/inventory/source-items")
                return self._save(request)
            if method == "GET":
                self.stats.operation("GET /V1/inventory/source-items")
                return self._list_source_items(request)
        if rest == "/orders" and method == "GET":
            self.stats.operation("GET /V1/orders")
            return self._list_orders(request)
        parts = rest.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "orders" and parts[1].isdigit() and method == "GET":
            self.stats.operation("GET /V1/orders/{id}")
            return Response.json(self._order_json(self._order(int(parts[1]))))
        raise MagentoError(404, "Request does not match any route.")

    # -- source items: write ---------------------------------------------------------------
    def _save(self, request: Request) -> Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise MagentoError(400, "Decoding error: %1", {"1": "invalid JSON"}) from None
        if not isinstance(body, dict) or "sourceItems" not in body:
            raise MagentoError(
                400, '"%fieldName" is required. Enter and try again.', {"fieldName": "sourceItems"}
            )
        items = body["sourceItems"]
        if not isinstance(items, list):
            raise MagentoError(400, "sourceItems must be an array")
        if self.input_limit is not None and len(items) > self.input_limit:
            self.stats.add("changes_refused", len(items))
            raise MagentoError(
                400,
                'Maximum items of type "%type" is %max',
                {"type": SOURCE_ITEM_TYPE, "max": self.input_limit},
            )
        if not items:
            raise MagentoError(400, "Input data is empty")
        errors: list[dict[str, Any]] = []
        plan: list[tuple[str, str, int, int | None]] = []
        for entry in items:
            if not isinstance(entry, dict):
                errors.append(_field_error("a source item must be an object"))
                continue
            found = len(errors)
            sku = entry.get("sku")
            source = entry.get("source_code")
            if not isinstance(sku, str) or not sku.strip():
                errors.append(_field_error('"%field" can not be empty.', field="sku"))
            if not isinstance(source, str) or not source.strip():
                errors.append(_field_error('"%field" can not be empty.', field="source_code"))
            elif re.search(r"\s", source):
                errors.append(
                    _field_error('"%field" can not contain whitespaces.', field="source_code")
                )
            quantity = self._quantity(entry.get("quantity"), errors)
            status = entry.get("status")
            if status is not None and (
                isinstance(status, bool) or str(status).strip() not in ("0", "1")
            ):
                errors.append(_field_error('"%field" should be numeric.', field="status"))
            if len(errors) > found or quantity is None:
                continue
            assert isinstance(sku, str) and isinstance(source, str)
            plan.append((sku, source, quantity, None if status is None else int(str(status))))
        if errors:
            self.stats.add("changes_refused", len(items))
            raise MagentoError(400, "Validation Failed", errors=errors)
        with self.catalog.lock:
            unknown = [s for s, _, _, _ in plan if s not in self.catalog]
            if unknown and self.unknown_sku == "error":
                self.stats.add("changes_refused", len(items))
                raise MagentoError(
                    400,
                    "Validation Failed",
                    errors=[
                        _field_error('Product with SKU "%sku" does not exist.', sku=s)
                        for s in unknown
                    ],
                )
            if any(src not in self.sources for _, src, _, _ in plan):
                self.stats.add("changes_refused", len(items))
                raise MagentoError(400, "Could not save Source Item")
            applied = 0
            for sku, source, quantity, status in plan:
                item = self.catalog.get(sku)
                if item is None or source != self.source:
                    previous = self._other.get((sku, source), (0, 1))
                    self._other[(sku, source)] = (
                        quantity,
                        previous[1] if status is None else status,
                    )
                    if item is None:
                        self._counters["unknown_sku_accepted"] += 1
                    self.catalog.version += 1
                    continue
                # status is stored as sent; omitted, the current one stays (even when the
                # quantity moves off zero: the item then stays out of stock)
                self._status[sku] = self.status_of(item) if status is None else status
                if item.qoh is None:
                    self._counters["untracked_ignored"] += 1
                    self.catalog.version += 1
                    continue
                self.catalog.set_qoh(item, quantity)
                applied += 1
        self.stats.applied(applied)
        return Response.json([])

    @staticmethod
    def _quantity(raw: Any, errors: list[dict[str, Any]]) -> int | None:
        if raw is None:
            errors.append(_field_error('"%field" can not be empty.', field="quantity"))
            return None
        if isinstance(raw, bool):
            errors.append(_field_error('"%field" should be numeric.', field="quantity"))
            return None
        try:
            value = float(raw)
        except (TypeError, ValueError):
            errors.append(_field_error('"%field" should be numeric.', field="quantity"))
            return None
        if not math.isfinite(value) or not value.is_integer():
            errors.append(
                _field_error('"%field" must be a whole number (sandbox).', field="quantity")
            )
            return None
        return int(value)

    # -- reading ---------------------------------------------------------------------------
    def _page(self, criteria: SearchCriteria) -> tuple[int | None, int]:
        size = criteria.page_size
        if self.input_limit is not None:
            if size is not None and size > self.max_page_size:
                raise MagentoError(
                    400, "Maximum SearchCriteria pageSize is %max", {"max": self.max_page_size}
                )
            if size is None:
                size = self.default_page_size
        if size == 0:
            size = None
        return size, criteria.current_page or 1

    def _search(
        self,
        request: Request,
        rows: Callable[[], list[Any]],
        render: Callable[[Any], dict[str, Any]],
        fast: tuple[Callable[[], int], Callable[[int, int], list[Any]]] | None = None,
    ) -> Response:
        """A ``getList`` answer; ``fast`` = (count, slice) skips building every row when
        there is nothing to filter or sort."""
        criteria = SearchCriteria(request.query)
        size, page = self._page(criteria)
        with self.catalog.lock:
            if fast is not None and not criteria.groups and not criteria.sort:
                count_rows, slice_rows = fast
                total = count_rows()
                start, count = self._window(total, size, page)
                items = [render(r) for r in slice_rows(start, count)]
            else:
                matching = [r for r in (render(x) for x in rows()) if criteria.matches(r)]
                for field, desc in reversed(criteria.sort):
                    matching.sort(key=_sort_key(field), reverse=desc)
                total = len(matching)
                start, count = self._window(total, size, page)
                items = matching[start : start + count]
        body = {
            "items": items,
            "search_criteria": criteria.echo(criteria.page_size, page),
            "total_count": total,
        }
        return Response.json(body)

    def _window(self, total: int, size: int | None, page: int) -> tuple[int, int]:
        """(start, count) of ``page``; past the end, Magento answers the last page."""
        if size is None:
            return 0, total
        last = max(1, math.ceil(total / size))
        if self.clamp_pages and page > last:
            page = last
        return (page - 1) * size, size

    def _list_source_items(self, request: Request) -> Response:
        def rows() -> list[Any]:
            return list(self.catalog) + list(self._other.items())

        def count_rows() -> int:
            return len(self.catalog) + len(self._other)

        def slice_rows(start: int, count: int) -> list[Any]:
            n = len(self.catalog)
            chunk: list[Any] = self.catalog.page(start, count) if start < n else []
            if start + count > n:
                others = list(self._other.items())
                chunk += others[max(0, start - n) : start + count - n]
            return chunk

        return self._search(request, rows, self._source_item_json, (count_rows, slice_rows))

    def _source_item_json(self, row: Any) -> dict[str, Any]:
        if isinstance(row, Item):
            return {
                "sku": row.sku,
                "source_code": self.source,
                "quantity": row.qoh if row.qoh is not None else 0,
                "status": self.status_of(row),
            }
        (sku, source), (quantity, status) = row
        return {"sku": sku, "source_code": source, "quantity": quantity, "status": status}

    # -- orders ----------------------------------------------------------------------------
    def _order(self, number: int) -> Order:
        with self.catalog.lock:
            for order in self.catalog.orders:
                if order.number == number:
                    return order
        raise MagentoError(
            404, "The entity that was requested doesn't exist. Verify the entity and try again."
        )

    def _list_orders(self, request: Request) -> Response:
        return self._search(request, lambda: list(self.catalog.orders), self._order_json)

    @staticmethod
    def _order_json(order: Order) -> dict[str, Any]:
        stamp = order.created_at.astimezone(dt.UTC).strftime(DATE_FORMAT)
        return {
            "entity_id": order.number,
            "increment_id": f"{order.number:09d}",
            "created_at": stamp,
            "updated_at": stamp,
            "state": "processing",
            "status": "processing",
            "total_qty_ordered": sum(ln.qty for ln in order.lines),
            "items": [
                {
                    "item_id": order.number * 1000 + n,
                    "order_id": order.number,
                    "product_id": ln.seq,
                    "sku": ln.sku,
                    "name": ln.sku,
                    "product_type": "simple",
                    "parent_item_id": None,
                    "qty_ordered": ln.qty,
                }
                for n, ln in enumerate(order.lines, start=1)
            ],
        }
