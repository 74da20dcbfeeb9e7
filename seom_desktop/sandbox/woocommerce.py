"""Sandbox of the WooCommerce REST API v3 (``/wp-json/wc/v3``).

Rules enforced, from the WooCommerce REST documentation and its source:

- Auth: HTTP Basic with the consumer key as user and the consumer secret as password (the
  ``consumer_key`` / ``consumer_secret`` query parameters are accepted too). No credentials
  -> 401 ``woocommerce_rest_cannot_view`` (``…cannot_edit`` / ``…cannot_batch`` for writes);
  a wrong key or secret -> 401 ``woocommerce_rest_authentication_error``.
- ``GET /products?per_page=&page=`` (``per_page`` 1..100, default 10; otherwise 400
  ``rest_invalid_param``), headers ``X-WP-Total`` and ``X-WP-TotalPages``; ``orderby``
  ``date`` (default) or ``id``, ``order`` ``desc`` (default) or ``asc``; ``sku=`` filter
  (comma-separated). A page past the end is an empty list.
- Product JSON: ``id``, ``sku``, ``type`` (``simple``/``variable``), ``manage_stock``,
  ``stock_quantity`` (null when not managed), ``stock_status``, ``variations`` (ids), and
  the descriptive fields a real record carries (name, slug, permalink, dates, prices,
  descriptions, categories, images, ``_links``), which make up most of its size.
- ``_fields`` (WordPress's global parameter, comma-separated or ``_fields[]=`` repeated):
  only those top-level fields of each object of a GET answer (``a.b`` keeps ``b`` of the
  object ``a``); unknown names are left out, and the answer's other rules are unchanged.
  With ``variations=True`` the SKUs ``PARENT/CHILD`` become variations of a variable product
  ``PARENT`` (when ``PARENT`` is not itself a catalogue SKU): the parent has no stock of its
  own; the stock lives on ``/products/{id}/variations/{vid}``.
- Absolute updates only: ``PUT /products/{id}`` and ``PUT /products/{pid}/variations/{vid}``
  with ``{"manage_stock": true, "stock_quantity": N}``. As in WooCommerce,
  ``stock_quantity`` is ignored when the product does not manage stock (and the request does
  not turn ``manage_stock`` on): the answer shows ``stock_quantity: null``.
- ``POST /products/batch`` and ``POST /products/{pid}/variations/batch`` with
  ``{create, update, delete}``: more than 100 items in total -> 413
  ``woocommerce_rest_request_entity_too_large`` and nothing applied; otherwise per-item
  results, an unknown id giving an item with an ``error`` object while the others apply.
- ``GET /orders?after=&before=&per_page=&page=&order=&orderby=&status=`` with the same paging
  rules; ``after`` is ISO 8601, orders strictly after it; ``line_items`` carry ``sku``,
  ``quantity``, ``product_id``, ``variation_id``.
- Throttled (``rate_limit_rps`` or the ``throttle`` fault): 429 with ``Retry-After``.
  (WooCommerce itself has no REST rate limit; hosts and security plugins add one.)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .base import Request, Response, SandboxCart
from .catalog import Item, Order

PREFIX = "/wp-json/wc/v3"
BATCH_LIMIT = 100
MAX_PER_PAGE = 100
ID_OFFSET = 1000
PARENT_OFFSET = 900_000_000
_WRITE = ("POST", "PUT", "PATCH")


class WooError(Exception):
    """A WordPress REST error: ``{"code", "message", "data": {"status"}}``."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }

    def response(self) -> Response:
        return Response.json(self.body(), self.status)


@dataclass
class _Parent:
    id: int
    sku: str
    children: list[int] = field(default_factory=list)  # catalogue sequence numbers


def invalid_param(name: str, reason: str) -> WooError:
    return WooError(
        400, "rest_invalid_param", f"Invalid parameter(s): {name}", params={name: reason}
    )


def _int_value(value: Any, name: str) -> int:
    """WordPress coerces integer strings for ``integer`` schema fields."""
    if isinstance(value, bool):
        raise invalid_param(name, f"{name} is not of type integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise invalid_param(name, f"{name} is not of type integer.")


def _bool_value(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1", 1):
        return True
    if value in ("false", "0", 0):
        return False
    raise invalid_param(name, f"{name} is not of type boolean.")


class WooCommerceCart(SandboxCart):
    """WooCommerce REST v3 sandbox (see the module docstring for the rules)."""

    platform = "woocommerce"
    default_user = "ck_sandbox0123456789abcdef0123456789abcdef"
    default_secret = "cs_sandbox0123456789abcdef0123456789abcdef"  # noqa: S105

    def __init__(self, *, variations: bool = False, batch_limit: int = BATCH_LIMIT, **kwargs: Any):
        self.variations = variations
        self.batch_limit = batch_limit
        self._top: list[int] = []
        self._top_by_id: list[int] | None = None
        self._parents: dict[int, _Parent] = {}
        self._parent_by_sku: dict[str, _Parent] = {}
        self._parent_of: dict[int, int] = {}
        super().__init__(**kwargs)

    def describe(self) -> list[str]:
        return [
            f"REST base: {self.url}{PREFIX}",
            f"consumer key: {self.user}",
            f"consumer secret: {self.secret}",
        ]

    def throttle_response(self, retry_after: int) -> Response:
        err = WooError(429, "woocommerce_rest_too_many_requests", "Too many requests.")
        return Response.json(err.body(), 429, {"Retry-After": str(retry_after)})

    # -- indexes ---------------------------------------------------------------------------
    def setup(self) -> None:
        with self.catalog.lock:
            self._top, self._top_by_id = [], None
            self._parents, self._parent_by_sku, self._parent_of = {}, {}, {}
            for item in self.catalog:
                self._index(item)

    def _index(self, item: Item) -> None:
        parent_sku = self._parent_sku(item.sku)
        if parent_sku is None:
            self._top.append(ID_OFFSET + item.seq)
        else:
            parent = self._parent_by_sku.get(parent_sku)
            if parent is None:
                parent = _Parent(PARENT_OFFSET + len(self._parents) + 1, parent_sku)
                self._parents[parent.id] = parent
                self._parent_by_sku[parent_sku] = parent
                self._top.append(parent.id)
            parent.children.append(item.seq)
            self._parent_of[item.seq] = parent.id
        self._top_by_id = None

    def _parent_sku(self, sku: str) -> str | None:
        if not self.variations or "/" not in sku:
            return None
        prefix = sku.split("/", 1)[0]
        return prefix if prefix and prefix not in self.catalog else None

    # -- dispatch --------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX + "/"):
            return WooError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            ).response()
        try:
            self._authenticate(request)
            return self._route(request)
        except WooError as exc:
            return exc.response()

    def _authenticate(self, request: Request) -> None:
        key = request.param("consumer_key")
        secret = request.param("consumer_secret")
        auth = request.header("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            key, _, secret = decoded.partition(":")
        if not key:
            if request.method == "GET":
                raise WooError(
                    401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
                )
            if request.path.endswith("/batch"):
                raise WooError(
                    401,
                    "woocommerce_rest_cannot_batch",
                    "Sorry, you are not allowed to batch manipulate this resource.",
                )
            raise WooError(
                401,
                "woocommerce_rest_cannot_edit",
                "Sorry, you are not allowed to edit this resource.",
            )
        if key != self.user:
            raise WooError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.secret:
            raise WooError(
                401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
            )

    def _route(self, request: Request) -> Response:
        parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
        method = request.method
        self.stats.operation(f"{method} /{'/'.join('{id}' if p.isdigit() else p for p in parts)}")
        no_route = WooError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )
        if not parts:
            raise no_route
        if parts[0] == "orders":
            if len(parts) == 1 and method == "GET":
                return self._list_orders(request)
            if len(parts) == 2 and parts[1].isdigit() and method == "GET":
                return Response.json(self._order_json(self._order(int(parts[1]))))
            raise no_route
        if parts[0] != "products":
            raise no_route
        if len(parts) == 1:
            if method == "GET":
                return self._list_products(request)
            if method == "POST":
                with self.catalog.lock:
                    created = self._create(self._body_object(request), None)
                    self.catalog.version += 1
                return Response.json(created, 201)
            raise no_route
        if parts[1] == "batch" and len(parts) == 2 and method in _WRITE:
            return self._batch(request, None)
        if not parts[1].isdigit():
            raise no_route
        pid = int(parts[1])
        if len(parts) == 2:
            if method == "GET":
                product = self._product_json(pid, not_found_status=404)
                return Response.json(_with_fields(request, product))
            if method in _WRITE:
                return Response.json(self._update_product(pid, self._body_object(request)))
            raise no_route
        if parts[2] != "variations":
            raise no_route
        parent = self._parents.get(pid)
        if len(parts) == 3 and method == "GET":
            if parent is None:
                self._product_json(pid, not_found_status=404)  # raises for unknown ids
                return self._paged(request, [], lambda v: v)
            return self._paged(request, list(parent.children), self._variation_json)
        if len(parts) == 4 and parts[3] == "batch" and method in _WRITE:
            if parent is None:
                raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return self._batch(request, parent)
        if len(parts) == 4 and parts[3].isdigit():
            vid = int(parts[3])
            if method == "GET":
                seq = self._variation_seq(parent, vid, 404)
                return Response.json(_with_fields(request, self._variation_json(seq)))
            if method in _WRITE:
                seq = self._variation_seq(parent, vid, 400)
                return Response.json(self._update_variation(seq, self._body_object(request)))
        raise no_route

    @staticmethod
    def _body_object(request: Request) -> dict[str, Any]:
        try:
            data = request.json() if request.body else {}
        except (ValueError, UnicodeDecodeError):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        if not isinstance(data, dict):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
        return data

    # -- paging ----------------------------------------------------------------------------
    def _page_args(self, request: Request) -> tuple[int, int]:
        try:
            per_page = int(request.param("per_page", "10") or "10")
        except ValueError:
            raise invalid_param("per_page", "per_page is not of type integer.") from None
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise invalid_param(
                "per_page", f"per_page must be between 1 (inclusive) and {MAX_PER_PAGE} (inclusive)"
            )
        try:
            page = int(request.param("page", "1") or "1")
        except ValueError:
            raise invalid_param("page", "page is not of type integer.") from None
        if page < 1:
            raise invalid_param("page", "page must be greater than or equal to 1")
        return per_page, page

    def _paged(self, request: Request, ids: list[Any], render: Any) -> Response:
        per_page, page = self._page_args(request)
        order = (request.param("order", "desc") or "desc").lower()
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of asc, desc.")
        total = len(ids)
        start = (page - 1) * per_page
        if order == "desc":
            lo, hi = max(total - start - per_page, 0), max(total - start, 0)
            chunk = list(reversed(ids[lo:hi]))
        else:
            chunk = ids[start : start + per_page]
        with self.catalog.lock:
            body = [render(x) for x in chunk]
        headers = {
            "X-WP-Total": str(total),
            "X-WP-TotalPages": str(math.ceil(total / per_page)),
        }
        return Response.json(_with_fields(request, body), 200, headers)

    # -- products --------------------------------------------------------------------------
    def _list_products(self, request: Request) -> Response:
        orderby = request.param("orderby", "date") or "date"
        if orderby not in ("date", "id", "modified", "include", "title", "slug"):
            raise invalid_param("orderby", "orderby is not one of date, id, title, slug.")
        sku_filter = request.param("sku")
        with self.catalog.lock:
            if sku_filter:
                ids = []
                for sku in (s.strip() for s in sku_filter.split(",")):
                    item = self.catalog.get(sku)
                    if item is not None and item.seq not in self._parent_of:
                        ids.append(ID_OFFSET + item.seq)
                    elif sku in self._parent_by_sku:
                        ids.append(self._parent_by_sku[sku].id)
                ids.sort()
            elif orderby == "id":
                if self._top_by_id is None:
                    self._top_by_id = sorted(self._top)
                ids = self._top_by_id
            else:
                ids = self._top
            return self._paged(request, ids, self._render_product)

    def _render_product(self, pid: int) -> dict[str, Any]:
        return self._product_json(pid, not_found_status=404)

    @staticmethod
    def _stock_status(qoh: int | None) -> str:
        return "instock" if qoh is None or qoh > 0 else "outofstock"

    def _product_json(self, pid: int, *, not_found_status: int) -> dict[str, Any]:
        parent = self._parents.get(pid)
        if parent is not None:
            kids = [self.catalog.by_seq(s) for s in parent.children]
            in_stock = any(k is not None and self._stock_status(k.qoh) == "instock" for k in kids)
            return {
                "id": parent.id,
                "name": parent.sku,
                "type": "variable",
                "status": "publish",
                "sku": parent.sku,
                "parent_id": 0,
                "manage_stock": False,
                "stock_quantity": None,
                "stock_status": "instock" if in_stock else "outofstock",
                "variations": [ID_OFFSET + s for s in parent.children],
                **self._descriptive(parent.id, parent.sku),
            }
        item = self.catalog.by_seq(pid - ID_OFFSET)
        if item is None or item.seq in self._parent_of:
            raise WooError(not_found_status, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return {
            "id": pid,
            "name": item.sku,
            "type": "simple",
            "status": "publish",
            "sku": item.sku,
            "parent_id": 0,
            "manage_stock": item.qoh is not None,
            "stock_quantity": item.qoh,
            "stock_status": self._stock_status(item.qoh),
            "variations": [],
            **self._descriptive(pid, item.sku),
        }

    def _descriptive(self, pid: int, sku: str) -> dict[str, Any]:
        """The fields of a real product record that stock synchronization never reads."""
        slug = re.sub(r"[^a-z0-9]+", "-", sku.lower()).strip("-") or str(pid)
        link = f"{_SITE}/wp-json/wc/v3/products/{pid}"
        return {
            "slug": slug,
            "permalink": f"{_SITE}/product/{slug}/",
            "date_created": _CATALOG_DATE,
            "date_created_gmt": _CATALOG_DATE,
            "date_modified": _CATALOG_DATE,
            "date_modified_gmt": _CATALOG_DATE,
            "featured": False,
            "catalog_visibility": "visible",
            "description": f"<p>{sku}: a product of the sandbox catalogue.</p>",
            "short_description": f"<p>{sku}</p>",
            "price": "19.99",
            "regular_price": "19.99",
            "sale_price": "",
            "on_sale": False,
            "purchasable": True,
            "total_sales": 0,
            "tax_status": "taxable",
            "backorders": "no",
            "weight": "",
            "dimensions": {"length": "", "width": "", "height": ""},
            "categories": [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
            "images": [],
            "meta_data": [],
            "_links": {
                "self": [{"href": link}],
                "collection": [{"href": f"{_SITE}/wp-json/wc/v3/products"}],
            },
        }

    def _variation_json(self, seq: int) -> dict[str, Any]:
        item = self.catalog.by_seq(seq)
        assert item is not None
        return {
            "id": ID_OFFSET + seq,
            "parent_id": self._parent_of.get(seq, 0),
            "sku": item.sku,
            "status": "publish",
            "manage_stock": item.qoh is not None,
            "stock_quantity": item.qoh,
            "stock_status": self._stock_status(item.qoh),
        }

    def _variation_seq(self, parent: _Parent | None, vid: int, status: int) -> int:
        seq = vid - ID_OFFSET
        if parent is None or seq not in parent.children:
            raise WooError(status, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
        return seq

    def _apply_stock(self, item: Item, data: dict[str, Any]) -> bool:
        """WooCommerce stock semantics; True when a stock field was applied."""
        manage: bool | None = None
        if "manage_stock" in data:
            raw = data["manage_stock"]
            manage = False if raw == "parent" else _bool_value(raw, "manage_stock")
        quantity = None
        if data.get("stock_quantity") is not None:
            quantity = _int_value(data["stock_quantity"], "stock_quantity")
        tracked = item.qoh is not None if manage is None else manage
        if manage is not None and manage != (item.qoh is not None):
            self.catalog.set_qoh(item, (quantity or 0) if manage else None)
        if tracked and quantity is not None:
            self.catalog.set_qoh(item, quantity)
        return manage is not None or (tracked and quantity is not None)

    def _update_product(self, pid: int, data: dict[str, Any]) -> dict[str, Any]:
        with self.catalog.lock:
            body = self._product_json(pid, not_found_status=400)
            if pid in self._parents:
                return body  # a variable product keeps no stock of its own here
            item = self.catalog.by_seq(pid - ID_OFFSET)
            assert item is not None
            if self._apply_stock(item, data):
                self.stats.applied(1)
            return self._product_json(pid, not_found_status=400)

    def _update_variation(self, seq: int, data: dict[str, Any]) -> dict[str, Any]:
        with self.catalog.lock:
            item = self.catalog.by_seq(seq)
            assert item is not None
            if self._apply_stock(item, data):
                self.stats.applied(1)
            return self._variation_json(seq)

    def _create(self, data: dict[str, Any], parent: _Parent | None) -> dict[str, Any]:
        sku = data.get("sku")
        if parent is not None and isinstance(sku, str) and not sku.startswith(parent.sku + "/"):
            sku = f"{parent.sku}/{sku}"
        if (
            not isinstance(sku, str)
            or not sku.strip()
            or sku in self.catalog
            or (sku in self._parent_by_sku)
        ):
            raise WooError(400, "product_invalid_sku", "Invalid or duplicated SKU.")
        manage = _bool_value(data.get("manage_stock", False), "manage_stock")
        qoh = _int_value(data.get("stock_quantity") or 0, "stock_quantity") if manage else None
        item = self.catalog.add(sku, qoh)
        self._index(item)
        if item.seq in self._parent_of:
            return self._variation_json(item.seq)
        return self._product_json(ID_OFFSET + item.seq, not_found_status=400)

    def _delete(self, raw_id: Any, parent: _Parent | None) -> dict[str, Any]:
        pid = _int_value(raw_id, "id")
        seq = pid - ID_OFFSET
        item = self.catalog.by_seq(seq)
        owner = self._parent_of.get(seq)
        valid = item is not None and (owner == parent.id if parent is not None else owner is None)
        if not valid or item is None:
            raise WooError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        body = (
            self._variation_json(seq)
            if parent is not None
            else self._product_json(pid, not_found_status=400)
        )
        self.catalog.remove(item.sku)
        if parent is not None:
            parent.children.remove(seq)
            del self._parent_of[seq]
        else:
            self._top.remove(pid)
            self._top_by_id = None
        return body

    def _batch(self, request: Request, parent: _Parent | None) -> Response:
        data = self._body_object(request)
        groups: dict[str, list[Any]] = {}
        for name in ("create", "update", "delete"):
            if name in data and data[name] is not None:
                if not isinstance(data[name], list):
                    raise invalid_param(name, f"{name} is not of type array.")
                groups[name] = data[name]
        total = sum(len(v) for v in groups.values())
        if total > self.batch_limit:
            raise WooError(
                413,
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {self.batch_limit} items for this request.",
            )
        out: dict[str, list[dict[str, Any]]] = {}
        with self.catalog.lock:
            if "create" in groups:
                out["create"] = [
                    self._batch_item(None, lambda d=d: self._create(d, parent))
                    for d in groups["create"]
                ]
            if "update" in groups:
                out["update"] = [self._batch_update(d, parent) for d in groups["update"]]
            if "delete" in groups:
                out["delete"] = [
                    self._batch_item(i, lambda i=i: self._delete(i, parent))
                    for i in groups["delete"]
                ]
            self.catalog.version += 1
        return Response.json(out)

    @staticmethod
    def _batch_item(item_id: Any, action: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = action()
            return result
        except WooError as exc:
            return {"id": item_id if item_id is not None else 0, "error": exc.body()}

    def _batch_update(self, data: Any, parent: _Parent | None) -> dict[str, Any]:
        if not isinstance(data, dict) or "id" not in data:
            err = WooError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return {"id": 0, "error": err.body()}
        raw_id = data["id"]

        def update() -> dict[str, Any]:
            pid = _int_value(raw_id, "id")
            if parent is None:
                return self._update_product(pid, data)
            return self._update_variation(self._variation_seq(parent, pid, 400), data)

        return self._batch_item(raw_id, update)

    # -- orders ----------------------------------------------------------------------------
    @staticmethod
    def _parse_date(value: str, name: str) -> dt.datetime:
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise invalid_param(name, f"Invalid date ({name}).") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)  # the sandbox site's timezone is UTC
        return parsed

    def _list_orders(self, request: Request) -> Response:
        after = request.param("after")
        before = request.param("before")
        since = self._parse_date(after, "after") if after else None
        until = self._parse_date(before, "before") if before else None
        status = (request.param("status", "any") or "any").lower()
        statuses = {s.strip() for s in status.split(",")}
        orderby = request.param("orderby", "date") or "date"
        if orderby not in ("date", "id", "include", "title", "slug", "modified"):
            raise invalid_param(
                "orderby", "orderby is not one of date, id, include, title, slug, modified."
            )
        with self.catalog.lock:
            orders = [
                o
                for o in self.catalog.orders
                if (since is None or o.created_at > since)
                and (until is None or o.created_at < until)
                and statuses & {"any", "processing"}
            ]
        return self._paged(request, orders, self._order_json)

    def _order(self, number: int) -> Order:
        with self.catalog.lock:
            for order in self.catalog.orders:
                if order.number == number:
                    return order
        raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")

    def _order_json(self, order: Order) -> dict[str, Any]:
        stamp = order.created_at.strftime("%Y-%m-%dT%H:%M:%S")
        lines = []
        for n, ln in enumerate(order.lines, start=1):
            parent_id = self._parent_of.get(ln.seq)
            lines.append(
                {
                    "id": order.number * 1000 + n,
                    "name": ln.sku,
                    "product_id": parent_id if parent_id else ID_OFFSET + ln.seq,
                    "variation_id": ID_OFFSET + ln.seq if parent_id else 0,
                    "quantity": ln.qty,
                    "sku": ln.sku,
                    "subtotal": "0.00",
                    "total": "0.00",
                }
            )
        return {
            "id": order.number,
            "parent_id": 0,
            "number": str(order.number),
            "status": "processing",
            "currency": "USD",
            "date_created": stamp,
            "date_created_gmt": stamp,
            "date_modified": stamp,
            "date_modified_gmt": stamp,
            "total": "0.00",
            "line_items": lines,
        }


_CATALOG_DATE = "2026-01-01T00:00:00"
_SITE = "https://woo-sandbox.example"
"""The site the descriptive links name (never fetched)."""


def _requested_fields(request: Request) -> list[str] | None:
    """``_fields`` as WordPress reads it: a comma-separated list or ``_fields[]`` repeated;
    None when the request does not limit the fields."""
    values = request.query.get("_fields", []) + request.query.get("_fields[]", [])
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _only(record: Any, fields: list[str]) -> Any:
    """``record`` with only ``fields`` (``a.b``: the field ``b`` of the object ``a``)."""
    if not isinstance(record, dict):
        return record
    kept: dict[str, Any] = {}
    for name in fields:
        top, _, rest = name.partition(".")
        if top not in record:
            continue
        if rest and isinstance(record[top], dict):
            inner = _only(record[top], [rest])
            merged = kept.get(top)
            kept[top] = {**merged, **inner} if isinstance(merged, dict) else inner
        else:
            kept[top] = record[top]
    return kept


def _with_fields(request: Request, data: Any) -> Any:
    """A GET answer (one object or a list of them) as ``_fields`` asks for it."""
    fields = _requested_fields(request)
    if fields is None:
        return data
    if isinstance(data, list):
        return [_only(record, fields) for record in data]
    return _only(data, fields)
