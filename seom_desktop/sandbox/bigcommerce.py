"""Sandbox of the BigCommerce REST API: v3 Inventory, v2 Orders.

Base URL ``/stores/{store_hash}/v3`` (and ``/v2`` for orders); the store hash is the sandbox's
``user`` (or the ``store_hash`` option). Rules enforced, from the BigCommerce documentation:

- Auth: header ``X-Auth-Token`` must equal the secret (the access token), else HTTP 401. A
  wrong store hash answers 404.
- ``PUT /inventory/adjustments/absolute`` and ``POST /inventory/adjustments/relative`` with
  ``{"reason": str?, "items": [{"location_id", "quantity", <identity>}]}``. The identity is
  exactly one of ``sku``, ``variant_id`` or ``product_id`` (the documented ``oneOf``). Answer
  200 ``{"transaction_id": "<uuid>"}``. No idempotency key: each request applies again.
- At most 2,000 items per request ("Limit of 2000 items for payload length"): more -> 422
  and nothing applied.
- A request is all or nothing. Unknown location -> 422 with the title
  ``Location not found, identities: [3]`` (the form seen in real answers); unknown item, an
  untracked item, a missing or double identity, a non-integer quantity, a negative absolute
  quantity or a level above 2,147,483,647 -> 422 for the whole request, ``errors`` naming each
  bad item as ``{"items[<i>]": "<why>"}``. Error bodies are v3 problem objects
  ``{"status", "title", "type", "errors"}``.
- ``GET /inventory/items?page=&limit=`` (``limit`` 1..1000, default 50; ``page`` >= 1) with the
  documented filters ``sku:in``, ``variant_id:in``, ``product_id:in``, ``location_id:in``
  (comma-separated) -> ``{"data": [{"identity": {sku, variant_id, product_id, sku_id},
  "locations": [{location_id, location_code, location_name, available_to_sell,
  total_inventory_onhand, location_enabled, settings}]}], "meta": {"pagination": {total,
  count, per_page, current_page, total_pages, links}}}``. Items whose inventory is not tracked
  are not listed ("Inventory must be enabled for products/variants you expect to appear").
- Rate limit: every answer to an authenticated request carries ``X-Rate-Limit-Time-Window-Ms``,
  ``X-Rate-Limit-Time-Reset-Ms``, ``X-Rate-Limit-Requests-Quota`` and
  ``X-Rate-Limit-Requests-Left``; each request takes one unit of a quota that refreshes every
  window (default 150 per 30 s, the Standard/Plus plan); past it 429 with ``X-Retry-After``
  (and ``Retry-After``), whole seconds until the window resets. Nothing is applied on a 429.
- Orders (v2): ``GET /v2/orders?min_id=&max_id=&min_date_created=&max_date_created=&sort=
  &page=&limit=`` (``limit`` <= 250, default 50), ``GET /v2/orders/{id}``,
  ``GET /v2/orders/{id}/products`` (``sku``, ``quantity``, ``product_id``, ``variant_id``).
  As in v2, an empty list answers **204 No Content** with no body. Dates are RFC 2822
  (``Tue, 20 Nov 2012 00:00:00 +0000``); ``min_date_created`` accepts RFC 2822 or ISO 8601.

Not confirmed in the documentation, chosen here (a connector must not depend on them):
the status for more than 2,000 items (422 here; 413 is possible), the exact titles for
unknown or untracked items, whether an untracked item can be adjusted at all (refused here),
``available_to_sell`` (here equal to the on-hand level: no safety stock, no reservations), the
429 body, and the ``limit`` > 1000 answer (422 here). Real stores also refuse a relative
adjustment on an item never given an absolute level ("requires absolute adjustment before
relative"); the sandbox does not model that.

Every relative application is recorded in a :class:`~.base.DeltaLog` under (sku, hash of the
request body), shown in ``/_sandbox/stats`` under ``bigcommerce.deltas``: a relative request
that was applied, lost its answer and was sent again shows up as a duplicate.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from .base import DeltaLog, Request, Response, SandboxCart, fingerprint
from .catalog import Item, Order

DEFAULT_STORE_HASH = "sbx0store1"
ADJUST_LIMIT = 2000
ITEMS_MAX_LIMIT = 1000
ITEMS_DEFAULT_LIMIT = 50
ORDERS_MAX_LIMIT = 250
ORDERS_DEFAULT_LIMIT = 50
MAX_LEVEL = 2_147_483_647
LOCATION_ID = 1
LOCATION_CODE = "BC-LOCATION-1"
PRODUCT_OFFSET = 100
VARIANT_OFFSET = 500_000_000
STATUS_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"


class BCError(Exception):
    """A v3 problem answer ``{"status", "title", "type", "errors"}``."""

    def __init__(self, status: int, title: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.errors = status, title, dict(errors or {})

    def response(self) -> Response:
        body: dict[str, Any] = {
            "status": self.status,
            "title": self.title,
            "type": STATUS_TYPE,
            "errors": self.errors,
        }
        return Response.json(body, self.status)


class V2Error(Exception):
    """A v2 error answer ``[{"status", "message"}]``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def response(self) -> Response:
        return Response.json([{"status": self.status, "message": self.message}], self.status)


class WindowQuota:
    """A request quota refreshed every ``window`` seconds (the window starts with its first
    request), as BigCommerce describes it."""

    def __init__(self, quota: int, window: float, clock: Callable[[], float]) -> None:
        if quota < 1 or window <= 0:
            raise ValueError("the rate-limit quota and window must be positive")
        self.quota, self.window = quota, window
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._start: float | None = None
            self._used = 0

    def _roll(self) -> float:
        now = self._clock()
        if self._start is None or now >= self._start + self.window:
            self._start, self._used = now, 0
        return now

    def take(self) -> tuple[bool, int, int]:
        """Use one unit: ``(allowed, left, reset_ms)``."""
        with self._lock:
            now = self._roll()
            assert self._start is not None
            reset_ms = max(0, math.ceil((self._start + self.window - now) * 1000))
            if self._used >= self.quota:
                return False, 0, reset_ms
            self._used += 1
            return True, self.quota - self._used, reset_ms

    def peek(self) -> tuple[int, int]:
        """``(left, reset_ms)`` without using a unit."""
        with self._lock:
            now = self._roll()
            assert self._start is not None
            reset_ms = max(0, math.ceil((self._start + self.window - now) * 1000))
            return self.quota - self._used, reset_ms

    def headers(self, left: int, reset_ms: int) -> dict[str, str]:
        return {
            "X-Rate-Limit-Time-Window-Ms": str(int(self.window * 1000)),
            "X-Rate-Limit-Time-Reset-Ms": str(reset_ms),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(left),
        }


def _v3_invalid(message: str) -> Exception:
    return BCError(422, message)


def _v2_invalid(message: str) -> Exception:
    return V2Error(400, message)


def _int(value: Any) -> int | None:
    """An integer (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def rfc2822(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC)).replace("-0000", "+0000")


class BigCommerceCart(SandboxCart):
    """BigCommerce v3 Inventory / v2 Orders sandbox (see the module docstring for the rules)."""

    platform = "bigcommerce"
    default_user = DEFAULT_STORE_HASH
    default_secret = "bc_sandbox_token_0123456789abcdef"  # noqa: S105

    def __init__(
        self,
        *,
        store_hash: str | None = None,
        rate_limit_quota: int | None = 150,
        rate_limit_window: float = 30.0,
        adjust_limit: int = ADJUST_LIMIT,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store_hash = store_hash or self.user
        self.adjust_limit = adjust_limit
        self.quota = (
            WindowQuota(rate_limit_quota, rate_limit_window, self.clock)
            if rate_limit_quota
            else None
        )
        self.deltas = DeltaLog()
        self._absolute = 0
        self._tracked_cache: tuple[int, list[Item]] | None = None

    @property
    def v3(self) -> str:
        return f"/stores/{self.store_hash}/v3"

    @property
    def v2(self) -> str:
        return f"/stores/{self.store_hash}/v2"

    def describe(self) -> list[str]:
        quota = f"{self.quota.quota} per {self.quota.window:g} s" if self.quota else "off"
        return [
            f"API base: {self.url}{self.v3} (orders: {self.url}{self.v2})",
            f"store hash: {self.store_hash}",
            f"X-Auth-Token: {self.secret}",
            f"location_id: {LOCATION_ID}; rate limit: {quota}",
        ]

    def reset_platform_state(self) -> None:
        self.deltas.reset()
        self._absolute = 0
        self._tracked_cache = None
        if self.quota is not None:
            self.quota.reset()

    def platform_stats(self) -> dict[str, Any]:
        return {"deltas": self.deltas.to_json(), "absolute_items_applied": self._absolute}

    def _rate_headers(self) -> dict[str, str]:
        if self.quota is None:
            return {}
        return self.quota.headers(*self.quota.peek())

    def throttle_response(self, retry_after: int) -> Response:
        body = {"status": 429, "title": "Too many requests", "type": STATUS_TYPE, "errors": {}}
        headers = {
            **self._rate_headers(),
            "X-Retry-After": str(retry_after),
            "Retry-After": str(retry_after),
        }
        return Response.json(body, 429, headers)

    # -- ids -------------------------------------------------------------------------------
    @staticmethod
    def product_id(item: Item) -> int:
        return PRODUCT_OFFSET + item.seq

    @staticmethod
    def variant_id(item: Item) -> int:
        return VARIANT_OFFSET + item.seq

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path.startswith(self.v3 + "/"):
            version, rest = "v3", path[len(self.v3) :]
        elif path.startswith(self.v2 + "/"):
            version, rest = "v2", path[len(self.v2) :]
        else:
            return BCError(404, "Not Found").response()
        if request.header("X-Auth-Token") != self.secret:
            return BCError(401, "Unauthorized: missing or invalid X-Auth-Token").response()
        headers: dict[str, str] = {}
        if self.quota is not None:
            allowed, left, reset_ms = self.quota.take()
            if not allowed:
                self.stats.add("rate_limited")
                return self.throttle_response(max(1, math.ceil(reset_ms / 1000)))
            headers = self.quota.headers(left, reset_ms)
        try:
            response = (
                self._route_v3(request, rest) if version == "v3" else self._route_v2(request, rest)
            )
        except BCError as exc:
            response = exc.response()
        except V2Error as exc:
            response = exc.response()
        response.headers.update(headers)
        return response

    def _route_v3(self, request: Request, rest: str) -> Response:
        method = request.method
        if rest == "/inventory/adjustments/absolute" and method == "PUT":
            self.stats.operation("PUT /inventory/adjustments/absolute")
            return self._adjust(request, relative=False)
        if rest == "/inventory/adjustments/relative" and method == "POST":
            self.stats.operation("POST /inventory/adjustments/relative")
            return self._adjust(request, relative=True)
        if rest == "/inventory/items" and method == "GET":
            self.stats.operation("GET /inventory/items")
            return self._items(request)
        if rest in ("/inventory/adjustments/absolute", "/inventory/adjustments/relative"):
            raise BCError(405, "Method Not Allowed")
        raise BCError(404, "Not Found")

    def _route_v2(self, request: Request, rest: str) -> Response:
        if request.method != "GET":
            raise V2Error(405, "The requested method is not allowed for this resource.")
        parts = [p for p in rest.split("/") if p]
        if parts == ["orders"]:
            self.stats.operation("GET /v2/orders")
            return self._orders(request)
        if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
            order = self._order(int(parts[1]))
            if len(parts) == 2:
                self.stats.operation("GET /v2/orders/{id}")
                return Response.json(self._order_json(order))
            if len(parts) == 3 and parts[2] == "products":
                self.stats.operation("GET /v2/orders/{id}/products")
                return self._order_products(request, order)
        raise V2Error(404, "The requested resource was not found.")

    # -- adjustments -----------------------------------------------------------------------
    def _resolve(self, entry: Mapping[str, Any]) -> tuple[Item | None, str]:
        """The catalogue item an adjustment names, and a text for messages."""
        keys = [k for k in ("sku", "variant_id", "product_id") if k in entry]
        if len(keys) != 1:
            raise ValueError("exactly one of sku, variant_id or product_id is required")
        key = keys[0]
        value = entry[key]
        if key == "sku":
            if not isinstance(value, str) or not value:
                raise ValueError("sku must be a non-empty string")
            return self.catalog.get(value), f"sku {value}"
        number = _int(value)
        if number is None:
            raise ValueError(f"{key} must be an integer")
        offset = VARIANT_OFFSET if key == "variant_id" else PRODUCT_OFFSET
        item = self.catalog.by_seq(number - offset)
        if item is not None and (key == "product_id") != (number < VARIANT_OFFSET):
            item = None
        return item, f"{key} {number}"

    def _adjust(self, request: Request, *, relative: bool) -> Response:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise BCError(400, "The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BCError(422, "The request body must be an object")
        items = body.get("items")
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise BCError(422, "reason must be a string", {"reason": "must be a string"})
        if not isinstance(items, list) or not items:
            raise BCError(422, "items is required", {"items": "a non-empty array is required"})
        if len(items) > self.adjust_limit:
            self.stats.add("changes_refused", len(items))
            raise BCError(
                422,
                f"The number of items ({len(items)}) exceeds the limit of {self.adjust_limit}",
                {"items": f"at most {self.adjust_limit} items per request"},
            )
        errors: dict[str, str] = {}
        bad_locations: list[int] = []
        not_found: list[str] = []
        untracked: list[str] = []
        plan: list[tuple[Item, int]] = []
        with self.catalog.lock:
            for i, entry in enumerate(items):
                where = f"items[{i}]"
                if not isinstance(entry, dict):
                    errors[where] = "must be an object"
                    continue
                location = _int(entry.get("location_id"))
                quantity = _int(entry.get("quantity"))
                if location is None:
                    errors[where] = "location_id (integer) is required"
                    continue
                if quantity is None:
                    errors[where] = "quantity (integer) is required"
                    continue
                try:
                    item, name = self._resolve(entry)
                except ValueError as exc:
                    errors[where] = str(exc)
                    continue
                if location != LOCATION_ID:
                    bad_locations.append(location)
                    errors[where] = f"location {location} not found"
                    continue
                if item is None:
                    not_found.append(name)
                    errors[where] = f"{name} not found"
                    continue
                if item.qoh is None:
                    untracked.append(name)
                    errors[where] = f"{name}: inventory tracking is not enabled"
                    continue
                level = item.qoh + quantity if relative else quantity
                if not relative and quantity < 0:
                    errors[where] = "quantity must be 0 or more"
                    continue
                if level > MAX_LEVEL:
                    errors[where] = f"the level would exceed {MAX_LEVEL}"
                    continue
                plan.append((item, quantity))
            if errors:
                self.stats.add("changes_refused", len(items))
                if bad_locations:
                    title = f"Location not found, identities: [{','.join(map(str, bad_locations))}]"
                elif not_found:
                    title = f"Inventory items not found, identities: [{', '.join(not_found)}]"
                elif untracked:
                    title = (
                        "Inventory tracking is not enabled for items with identity: "
                        f"[{', '.join(untracked)}]"
                    )
                else:
                    title = "The request payload is invalid"
                raise BCError(422, title, errors)
            fp = fingerprint(body)
            for item, quantity in plan:
                if relative:
                    assert item.qoh is not None
                    self.catalog.set_qoh(item, item.qoh + quantity)
                    self.deltas.record(item.sku, fp)
                else:
                    self.catalog.set_qoh(item, quantity)
            if not relative:
                self._absolute += len(plan)
        self.stats.applied(len(plan))
        return Response.json({"transaction_id": str(uuid.uuid4())})

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    def _page_args(
        request: Request, default: int, maximum: int, fail: Callable[[str], Exception]
    ) -> tuple[int, int]:
        try:
            page = int(request.param("page", "1") or "1")
            limit = int(request.param("limit", str(default)) or str(default))
        except ValueError:
            raise fail("page and limit must be integers") from None
        if page < 1:
            raise fail("page must be 1 or more")
        if not 1 <= limit <= maximum:
            raise fail(f"limit must be between 1 and {maximum}")
        return page, limit

    @staticmethod
    def _in_filter(request: Request, name: str, numeric: bool) -> set[Any] | None:
        raw = request.param(name)
        if raw is None:
            return None
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not numeric:
            return set(values)
        try:
            return {int(v) for v in values}
        except ValueError:
            raise BCError(422, f"{name} must be a comma-separated list of integers") from None

    def _tracked(self) -> list[Item]:
        with self.catalog.lock:
            cached = self._tracked_cache
            if cached is not None and cached[0] == self.catalog.version:
                return cached[1]
            items = [i for i in self.catalog if i.qoh is not None]
            self._tracked_cache = (self.catalog.version, items)
            return items

    def _items(self, request: Request) -> Response:
        page, limit = self._page_args(request, ITEMS_DEFAULT_LIMIT, ITEMS_MAX_LIMIT, _v3_invalid)
        skus = self._in_filter(request, "sku:in", numeric=False)
        variants = self._in_filter(request, "variant_id:in", numeric=True)
        products = self._in_filter(request, "product_id:in", numeric=True)
        locations = self._in_filter(request, "location_id:in", numeric=True)
        codes = self._in_filter(request, "location_code:in", numeric=False)
        with self.catalog.lock:
            if locations is not None and LOCATION_ID not in locations:
                items: list[Item] = []
            elif codes is not None and LOCATION_CODE not in codes:
                items = []
            elif skus is not None:
                found = (self.catalog.get(s) for s in skus)
                items = sorted((i for i in found if i and i.qoh is not None), key=lambda i: i.seq)
            else:
                items = self._tracked()
            if variants is not None:
                items = [i for i in items if self.variant_id(i) in variants]
            if products is not None:
                items = [i for i in items if self.product_id(i) in products]
            total = len(items)
            chunk = items[(page - 1) * limit : page * limit]
            data = [self._item_json(i) for i in chunk]
        pages = math.ceil(total / limit) if total else 0
        base = {k: v[0] for k, v in request.query.items() if k not in ("page",)}
        base["limit"] = str(limit)

        def link(p: int) -> str:
            return "?" + urlencode({**base, "page": str(p)})

        pagination = {
            "total": total,
            "count": len(data),
            "per_page": limit,
            "current_page": page,
            "total_pages": pages,
            "links": {
                "previous": link(page - 1) if page > 1 else None,
                "current": link(page),
                "next": link(page + 1) if page < pages else None,
            },
        }
        return Response.json({"data": data, "meta": {"pagination": pagination}})

    def _item_json(self, item: Item) -> dict[str, Any]:
        qoh = item.qoh or 0
        return {
            "identity": {
                "sku": item.sku,
                "variant_id": self.variant_id(item),
                "product_id": self.product_id(item),
                "sku_id": None,
            },
            "locations": [
                {
                    "location_id": LOCATION_ID,
                    "location_code": LOCATION_CODE,
                    "location_name": "Default location",
                    "available_to_sell": qoh,
                    "total_inventory_onhand": qoh,
                    "location_enabled": True,
                    "settings": {
                        "safety_stock": 0,
                        "is_in_stock": qoh > 0,
                        "warning_level": 0,
                        "bin_picking_number": "",
                    },
                }
            ],
        }

    # -- orders (v2) -----------------------------------------------------------------------
    @staticmethod
    def _parse_date(raw: str, name: str) -> dt.datetime:
        text = raw.strip()
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            try:
                parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise V2Error(400, f"The field '{name}' is invalid.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed

    @staticmethod
    def _int_param(request: Request, name: str) -> int | None:
        raw = request.param(name)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise V2Error(400, f"The field '{name}' is invalid.") from None

    def _order(self, number: int) -> Order:
        with self.catalog.lock:
            for order in self.catalog.orders:
                if order.number == number:
                    return order
        raise V2Error(404, "The requested resource was not found.")

    def _orders(self, request: Request) -> Response:
        page, limit = self._page_args(request, ORDERS_DEFAULT_LIMIT, ORDERS_MAX_LIMIT, _v2_invalid)
        low_id = self._int_param(request, "min_id")
        high_id = self._int_param(request, "max_id")
        raw_low = request.param("min_date_created")
        raw_high = request.param("max_date_created")
        low_date = self._parse_date(raw_low, "min_date_created") if raw_low else None
        high_date = self._parse_date(raw_high, "max_date_created") if raw_high else None

        def wanted(o: Order) -> bool:
            return (
                (low_id is None or o.number >= low_id)
                and (high_id is None or o.number <= high_id)
                and (low_date is None or o.created_at >= low_date)
                and (high_date is None or o.created_at <= high_date)
            )

        sort = (request.param("sort", "id:asc") or "id:asc").lower()
        field_name, _, direction = sort.partition(":")
        if field_name not in ("id", "date_created") or direction not in ("", "asc", "desc"):
            raise V2Error(400, "The field 'sort' is invalid.")
        with self.catalog.lock:
            orders = [o for o in self.catalog.orders if wanted(o)]
            orders.sort(key=lambda o: (o.created_at, o.number) if field_name != "id" else o.number)
            if direction == "desc":
                orders.reverse()
            chunk = orders[(page - 1) * limit : page * limit]
            body = [self._order_json(o) for o in chunk]
        if not body:
            return Response(204, b"", "application/json")
        return Response.json(body)

    def _order_json(self, order: Order) -> dict[str, Any]:
        stamp = rfc2822(order.created_at)
        return {
            "id": order.number,
            "date_created": stamp,
            "date_modified": stamp,
            "status_id": 11,
            "status": "Awaiting Fulfillment",
            "items_total": sum(ln.qty for ln in order.lines),
            "currency_code": "USD",
            "total_inc_tax": "0.0000",
            "products": {
                "url": f"{self.url}{self.v2}/orders/{order.number}/products",
                "resource": f"/orders/{order.number}/products",
            },
        }

    def _order_products(self, request: Request, order: Order) -> Response:
        page, limit = self._page_args(request, ORDERS_DEFAULT_LIMIT, ORDERS_MAX_LIMIT, _v2_invalid)
        lines = list(enumerate(order.lines, start=1))[(page - 1) * limit : page * limit]
        body = [
            {
                "id": order.number * 1000 + n,
                "order_id": order.number,
                "product_id": PRODUCT_OFFSET + ln.seq,
                "variant_id": VARIANT_OFFSET + ln.seq,
                "name": ln.sku,
                "sku": ln.sku,
                "quantity": ln.qty,
                "base_price": "0.0000",
            }
            for n, ln in lines
        ]
        if not body:
            return Response(204, b"", "application/json")
        return Response.json(body)
