"""Sandbox of the Miva JSON API (``POST /mm5/json.mvc``), with multicall and baskets.

Rules enforced, from the Miva JSON API documentation:

- Auth: header ``X-Miva-API-Authorization: MIVA <token>`` (no HMAC), or
  ``MIVA-HMAC-SHA256 <token>:<hmac>`` / ``MIVA-HMAC-SHA1 <token>:<hmac>``. With the
  ``signing_key`` option (base64) an HMAC is required: base64 of HMAC(base64-decoded key,
  raw request body). ``Store_Code`` must be the sandbox's store code (its ``user``).
- ``Miva_Request_Timestamp`` (Unix seconds) is required and must be within
  ``timestamp_window`` seconds (default 60) of the sandbox's wall clock (``None``: off).
- Errors are ``{"success": 0, "error_code", "error_message"}`` (validation errors add
  ``"validation_error": 1, "error_field"``), answered with HTTP 200 like every function
  result: a client must look at ``success``, not at the HTTP status.
- ``ProductList_Adjust_Inventory {"Inventory_Adjustments": [{"product_code" | "product_id" |
  "product_sku" | "Edit_Product", "adjustment"}]}`` adds or subtracts -> ``{"success": 1}``.
- ``Product_Update`` with ``product_inventory`` sets the count (absolute); the product is
  named by ``Product_Code`` / ``product_code`` / ``Edit_Product`` / ``product_id`` /
  ``Product_SKU``. As documented, this "does not take into account stock held in open
  baskets".
- ``ProductList_Load_Query {Count, Offset, Sort, Filter, Ondemandcolumns}`` ->
  ``{"success": 1, "data": {"total_count", "start_offset", "data": [{id, code, sku, name,
  active, ...}]}}``. ``Count`` 0 (the default) means all. The inventory fields
  ``product_inventory`` and ``product_inventory_active`` appear only when the on-demand column
  ``product_inventory`` is asked for, in ``Ondemandcolumns`` or as a ``Filter`` entry
  ``{"name": "ondemandcolumns", "value": [...]}``. ``Filter`` entries ``{"name": "search",
  "value": [{"field", "operator", "value"}]}``: conditions of one entry are ORed, entries ANDed;
  operators EQ NE GT GE LT LE CO NC LIKE IN NOT_IN TRUE FALSE NULL. ``Sort``: a column,
  ``-`` for descending. Like Miva's database, the sandbox finds the rows of a ``search``
  entry made only of ``code`` / ``sku`` ``EQ`` / ``IN`` conditions through an index (a
  look-up of 100 codes does not read the whole catalogue); other queries scan. The rows
  examined are counted (``rows_examined`` in ``/_sandbox/stats``).
- ``OrderList_Load_Query`` (same list parameters; on-demand column ``items`` gives the lines
  ``{code, sku, quantity, ...}``; ``orderdate`` is Unix seconds) for order import.
- Multicall: ``{"Operations": [{"Function", ...} | {"Function", ..., "Iterations": [...]}]}``
  (``"Function": "Multicall"`` optional) answers a JSON **array**, one result per operation (an
  array of results for an operation with ``Iterations``). A top-level request with
  ``Iterations`` and no ``Operations`` answers an array too.
- Timeouts: ``X-Miva-API-Timeout`` (seconds, default 60) is the request's budget. Between
  operations the sandbox checks the budget; when it is spent the answer is **HTTP 206** with
  ``Content-Range: <done>/<total>`` and the results of the finished operations only. The
  client then re-sends the *same* request with ``Range: Operations=<first>-<last>`` (1-based,
  inclusive; ``<first>-`` means to the end) and only those operations run. A request without
  ``Range`` runs every operation again, so a delta that had finished is applied twice (the
  sandbox records it). The budget is simulated, never slept: each operation costs
  ``operation_seconds`` (default 0) and ``partial_after=N`` stops after N operations.

Baskets: Miva holds stock in shopping baskets. Adding to a basket lowers the product's
inventory count at once; checking out keeps it lowered (the order is then there to import);
emptying the basket (or abandoning it) gives the stock back. So ``/_sandbox/inventory`` and
``product_inventory`` are Miva's count (available to sell), and ``on_hand = count + held``.
An absolute ``Product_Update`` made while a basket holds stock therefore counts the held
units twice once the basket is emptied: empty baskets before a stock take. Control
endpoints: ``POST /_sandbox/basket {"lines": [{"sku", "qty"}]}`` -> ``{"basket": "1"}``;
``POST /_sandbox/basket/checkout {"basket": "1"}`` -> ``{"order": "1001"}``;
``POST /_sandbox/basket/empty {"basket": "1"}``; ``GET /_sandbox/baskets`` ->
``{"baskets", "held", "available", "on_hand"}``; held units also in ``/_sandbox/stats``.

Not confirmed in the documentation, chosen here: the ``error_code`` values (sandbox names,
not Miva's numbers); the HTTP status of auth failures (200 here); whether an adjustment list
with one unknown product applies the others (here: nothing is applied); what adjusting an
untracked product does (ignored here, counted in stats); the exact ``Range`` syntax (only the
``Operations=<a>-<b>`` form above is accepted; anything else, or a range outside the
operations, answers HTTP 416 and runs nothing); ``Content-Range`` after a ranged re-send (the
index of the last finished operation over the total); that timeouts apply only to
``Operations`` (not to ``Iterations`` of a single function); the names of the on-demand
inventory fields; and the HMAC details.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from .base import DeltaLog, Request, Response, SandboxCart, fingerprint
from .catalog import Item, Order

JSON_PATH = "/mm5/json.mvc"
DEFAULT_TIMEOUT = 60.0
_RANGE = re.compile(r"^\s*operations\s*=\s*(\d+)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_IDENTITY_KEYS = ("product_id", "edit_product", "product_code", "product_sku")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
    "GT": operator.gt,
    "GE": operator.ge,
    "LT": operator.lt,
    "LE": operator.le,
}
_INDEXED_FIELDS = frozenset({"code", "sku"})
"""Columns a ``search`` can find through the code index (in this sandbox both are the SKU)."""
_OPERATORS = frozenset(
    {"EQ", "NE", "GT", "GE", "LT", "LE", "CO", "NC", "LIKE", "NOTLIKE", "IN", "NOT_IN"}
    | {"TRUE", "FALSE", "NULL"}
)


class MivaError(Exception):
    """A function error: ``{"success": 0, "error_code", "error_message"}``."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "success": 0,
            "error_code": self.code,
            "error_message": self.message,
        }
        if self.field is not None:
            out["validation_error"] = 1
            out["error_field"] = self.field
        return out


def _lower(params: Mapping[str, Any]) -> dict[str, Any]:
    """Miva parameter names are case-insensitive (``Count`` / ``count``)."""
    return {str(k).lower(): v for k, v in params.items()}


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise MivaError("invalid_parameter", f"{field} must be a number", field)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise MivaError("invalid_parameter", f"{field} must be a whole number", field)


def _like(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL) is not None


def _condition(op: str, actual: Any, target: Any) -> bool:
    """One ``search`` condition; ``actual`` is the row's value."""
    if op == "TRUE":
        return bool(actual)
    if op == "FALSE":
        return not actual
    if op == "NULL":
        return actual is None
    if op in ("IN", "NOT_IN"):
        values = {v.strip().lower() for v in str(target).split(",")}
        hit = str(actual).lower() in values
        return hit if op == "IN" else not hit
    if op in ("CO", "NC"):
        hit = str(target).lower() in str(actual).lower()
        return hit if op == "CO" else not hit
    if op in ("LIKE", "NOTLIKE"):
        hit = _like(str(target), str(actual))
        return hit if op == "LIKE" else not hit
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        try:
            goal: Any = float(target)
        except (TypeError, ValueError):
            return False
        left: Any = float(actual)
    else:
        goal, left = str(target).lower(), str(actual or "").lower()
    return _COMPARE[op](left, goal)


class ListQuery:
    """The common ``xxxList_Load_Query`` parameters, parsed."""

    def __init__(self, params: Mapping[str, Any], fields: frozenset[str]) -> None:
        p = _lower(params)
        self.count = _int(p.get("count", 0), "Count")
        self.offset = _int(p.get("offset", 0), "Offset")
        if self.count < 0 or self.offset < 0:
            raise MivaError("invalid_parameter", "Count and Offset must be 0 or more", "Count")
        sort = p.get("sort") or ""
        if not isinstance(sort, str):
            raise MivaError("invalid_parameter", "Sort must be a string", "Sort")
        self.descending = sort.startswith("-")
        self.sort = sort.lstrip("-").lower() or None
        if self.sort is not None and self.sort not in fields:
            raise MivaError("invalid_parameter", f"Sort column {sort!r} is not supported", "Sort")
        ondemand = p.get("ondemandcolumns") or []
        if not isinstance(ondemand, list):
            raise MivaError(
                "invalid_parameter", "Ondemandcolumns must be a list", "Ondemandcolumns"
            )
        self.ondemand = {str(c).lower() for c in ondemand}
        self.searches: list[list[tuple[str, str, Any]]] = []
        raw_filter = p.get("filter") or []
        if not isinstance(raw_filter, list):
            raise MivaError("invalid_parameter", "Filter must be a list of filters", "Filter")
        for entry in raw_filter:
            if not isinstance(entry, dict):
                raise MivaError("invalid_parameter", "each Filter must be an object", "Filter")
            name = str(entry.get("name", "")).lower()
            value = entry.get("value")
            if name == "ondemandcolumns":
                if not isinstance(value, list):
                    raise MivaError("invalid_parameter", "ondemandcolumns needs a list", "Filter")
                self.ondemand |= {str(c).lower() for c in value}
            elif name == "search":
                self.searches.append(self._search(value, fields))
            # other named filters (Product_Show, ...) are accepted and ignored

    @staticmethod
    def _search(value: Any, fields: frozenset[str]) -> list[tuple[str, str, Any]]:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not value:
            raise MivaError("invalid_parameter", "a search filter needs conditions", "Filter")
        out = []
        for cond in value:
            if not isinstance(cond, dict):
                raise MivaError("invalid_parameter", "a search condition is an object", "Filter")
            field = str(cond.get("field", "")).lower()
            op = str(cond.get("operator", "")).upper()
            if field not in fields:
                raise MivaError("invalid_parameter", f"cannot search on {field!r}", "Filter")
            if op not in _OPERATORS:
                raise MivaError("invalid_parameter", f"unknown operator {op!r}", "Filter")
            out.append((field, op, cond.get("value")))
        return out

    def indexed_codes(self) -> set[str] | None:
        """The lower-cased codes one ``search`` entry is limited to, when that entry is only
        ``code`` / ``sku`` ``EQ`` / ``IN`` conditions (ORed): a row outside them cannot match,
        so an index finds the candidates. None: no such entry (the rows must be scanned)."""
        for group in self.searches:
            if all(f in _INDEXED_FIELDS and op in ("EQ", "IN") for f, op, _ in group):
                codes: set[str] = set()
                for _field, op, target in group:
                    if op == "EQ":  # as _condition compares text
                        codes.add(str(target).lower())
                    else:
                        codes |= {v.strip().lower() for v in str(target).split(",")}
                return codes
        return None

    def matches(self, row: Mapping[str, Any]) -> bool:
        return all(
            any(_condition(op, row.get(field), target) for field, op, target in group)
            for group in self.searches
        )

    def page(self, rows: list[Any], key: Callable[[Any], Mapping[str, Any]]) -> list[Any]:
        if self.searches:
            rows = [r for r in rows if self.matches(key(r))]
        if self.sort is not None:
            column = self.sort
            rows = sorted(rows, key=lambda r: (key(r).get(column) is None, key(r).get(column)))
        if self.descending:
            rows = list(reversed(rows))
        return rows


class MivaCart(SandboxCart):
    """Miva JSON API sandbox (see the module docstring for the rules)."""

    platform = "miva"
    default_user = "SBX"  # the Store_Code
    default_secret = "miva_sandbox_token_0123456789abcdef"  # noqa: S105

    def __init__(
        self,
        *,
        signing_key: str | None = None,
        timestamp_window: float | None = 60.0,
        default_timeout: float = DEFAULT_TIMEOUT,
        operation_seconds: float = 0.0,
        partial_after: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.signing_key = signing_key
        self.timestamp_window = timestamp_window
        self.default_timeout = default_timeout
        self.operation_seconds = operation_seconds
        self.partial_after = partial_after
        self.deltas = DeltaLog()
        self._baskets: dict[int, list[tuple[str, int]]] = {}
        self._next_basket = 1
        self._counters: dict[str, int] = {}
        self._codes: dict[str, list[int]] = {}
        self._codes_key: tuple[int, int] | None = None
        super().__init__(**kwargs)
        self.reset_platform_counters()

    def describe(self) -> list[str]:
        return [
            f"endpoint: POST {self.url}{JSON_PATH}",
            f"Store_Code: {self.user}",
            f"X-Miva-API-Authorization: MIVA {self.secret}",
            "baskets: POST /_sandbox/basket | basket/checkout | basket/empty; "
            "GET /_sandbox/baskets",
        ]

    # -- platform state --------------------------------------------------------------------
    def reset_platform_counters(self) -> None:
        self._counters = {
            "partial_answers": 0,
            "ranged_requests": 0,
            "operations_run": 0,
            "untracked_ignored": 0,
            "rows_examined": 0,
        }

    def setup(self) -> None:
        self._codes_key = None  # reset: new items; rebuilt at the next look-up

    def _by_code(self, codes: set[str]) -> list[Item]:
        """The items whose lower-cased SKU is in ``codes``, in catalogue order, through an
        index rebuilt when the catalogue's SKUs change (called under the catalogue lock).

        The key (number of items, last sequence number) changes with every add or remove:
        a removal lowers the count and an add takes a sequence number never used before."""
        last = self.catalog.page(len(self.catalog) - 1, 1)
        key = (len(self.catalog), last[0].seq if last else 0)
        if key != self._codes_key:
            index: dict[str, list[int]] = {}
            for item in self.catalog:
                index.setdefault(item.sku.lower(), []).append(item.seq)
            self._codes, self._codes_key = index, key
        seqs = sorted(s for code in codes for s in self._codes.get(code, ()))
        return [found for s in seqs if (found := self.catalog.by_seq(s)) is not None]

    def reset_platform_state(self) -> None:
        self.deltas.reset()
        self._baskets, self._next_basket = {}, 1
        self.reset_platform_counters()

    def extra_state(self) -> dict[str, Any]:
        return {
            "baskets": {str(k): [[s, q] for s, q in v] for k, v in self._baskets.items()},
            "next_basket": self._next_basket,
        }

    def load_extra_state(self, state: Mapping[str, Any]) -> None:
        baskets = state.get("baskets") or {}
        self._baskets = {int(k): [(str(s), int(q)) for s, q in v] for k, v in baskets.items()}
        self._next_basket = int(state.get("next_basket", 1))

    def _count(self, name: str, n: int = 1) -> None:
        with self.catalog.lock:
            self._counters[name] = self._counters.get(name, 0) + n

    def platform_stats(self) -> dict[str, Any]:
        with self.catalog.lock:
            return {
                **self._counters,
                "deltas": self.deltas.to_json(),
                "baskets": {"open": len(self._baskets), "held": self.basket_holds()},
            }

    # -- baskets ---------------------------------------------------------------------------
    def basket_holds(self) -> dict[str, int]:
        """Units of each tracked SKU held in open baskets."""
        held: dict[str, int] = {}
        with self.catalog.lock:
            for lines in self._baskets.values():
                for sku, qty in lines:
                    item = self.catalog.get(sku)
                    if item is not None and item.qoh is not None:
                        held[sku] = held.get(sku, 0) + qty
        return held

    def add_to_basket(self, lines: list[tuple[str, int]]) -> str:
        """A shopper fills a basket: each tracked SKU's count drops now. Returns its id."""
        if not lines:
            raise ValueError("a basket needs at least one line")
        with self.catalog.lock:
            for sku, qty in lines:
                if sku not in self.catalog:
                    raise ValueError(f"unknown sku {sku!r}")
                if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                    raise ValueError(f"qty of {sku!r} must be a positive integer")
            for sku, qty in lines:
                item = self.catalog.get(sku)
                assert item is not None
                if item.qoh is not None:
                    self.catalog.set_qoh(item, item.qoh - qty)
            number = self._next_basket
            self._next_basket += 1
            self._baskets[number] = list(lines)
        return str(number)

    def _take_basket(self, basket: Any) -> list[tuple[str, int]]:
        try:
            number = int(basket)
        except (TypeError, ValueError):
            raise ValueError('expected {"basket": "<id>"}') from None
        lines = self._baskets.pop(number, None)
        if lines is None:
            raise ValueError(f"no open basket {basket!r}")
        return lines

    def checkout_basket(self, basket: str) -> str:
        """The shopper pays: the basket becomes an order; the count stays lowered."""
        with self.catalog.lock:
            lines = self._take_basket(basket)
            known = [(s, q) for s, q in lines if s in self.catalog]
            for sku, qty in known:  # place_order lowers the count: it already was
                item = self.catalog.get(sku)
                assert item is not None
                if item.qoh is not None:
                    self.catalog.set_qoh(item, item.qoh + qty)
            return self.place_order(known)

    def empty_basket(self, basket: str) -> None:
        """The basket is emptied or abandoned: its units go back to the count."""
        with self.catalog.lock:
            for sku, qty in self._take_basket(basket):
                item = self.catalog.get(sku)
                if item is not None and item.qoh is not None:
                    self.catalog.set_qoh(item, item.qoh + qty)

    def control(self, name: str, request: Request) -> Response | None:
        if name == "baskets" and request.method == "GET":
            with self.catalog.lock:
                held = self.basket_holds()
                available = self.inventory()
                on_hand = {
                    sku: None if qoh is None else qoh + held.get(sku, 0)
                    for sku, qoh in available.items()
                }
                baskets = {
                    str(k): [{"sku": s, "qty": q} for s, q in v] for k, v in self._baskets.items()
                }
            return Response.json(
                {"baskets": baskets, "held": held, "available": available, "on_hand": on_hand}
            )
        if not name.startswith("basket") or request.method != "POST":
            return None
        try:
            data = request.json()
        except ValueError:
            return Response.json({"error": "the body must be JSON"}, 400)
        if not isinstance(data, dict):
            return Response.json({"error": "the body must be an object"}, 400)
        if name == "basket":
            raw = data.get("lines")
            if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
                return Response.json({"error": 'expected {"lines": [{"sku", "qty"}]}'}, 400)
            lines: list[tuple[str, int]] = [(x.get("sku"), x.get("qty", 1)) for x in raw]
            return Response.json({"basket": self.add_to_basket(lines)})
        if name == "basket/checkout":
            return Response.json({"order": self.checkout_basket(str(data.get("basket")))})
        if name == "basket/empty":
            self.empty_basket(str(data.get("basket")))
            return Response.json({"emptied": str(data.get("basket"))})
        return None

    # -- request -------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> None:
        header = (request.header("X-Miva-API-Authorization") or "").strip()
        kind, _, rest = header.partition(" ")
        token, _, signature = rest.strip().partition(":")
        kind = kind.upper()
        if kind not in ("MIVA", "MIVA-HMAC-SHA256", "MIVA-HMAC-SHA1") or not token:
            raise MivaError("invalid_authorization", "Missing or malformed authorization header")
        if not hmac.compare_digest(token, self.secret):
            raise MivaError("invalid_token", "Invalid API token")
        if self.signing_key is None:
            return
        if kind == "MIVA" or not signature:
            raise MivaError("signature_required", "This API token requires an HMAC signature")
        try:
            key = base64.b64decode(self.signing_key)
        except binascii.Error:
            key = self.signing_key.encode("utf-8")
        digest = hashlib.sha256 if kind == "MIVA-HMAC-SHA256" else hashlib.sha1
        expected = base64.b64encode(hmac.new(key, request.body, digest).digest()).decode()
        if not hmac.compare_digest(expected, signature.strip()):
            raise MivaError("invalid_signature", "HMAC signature does not match the request")

    def _check_envelope(self, body: Mapping[str, Any]) -> None:
        p = _lower(body)
        if p.get("store_code") != self.user:
            raise MivaError("invalid_store", "Store_Code is missing or unknown", "Store_Code")
        if self.timestamp_window is None:
            return
        raw = p.get("miva_request_timestamp")
        if raw is None:
            raise MivaError(
                "timestamp_required", "Miva_Request_Timestamp is required", "Miva_Request_Timestamp"
            )
        stamp = _int(raw, "Miva_Request_Timestamp")
        now = self.wall_clock().timestamp()
        if abs(now - stamp) > self.timestamp_window:
            raise MivaError("request_expired", "The request timestamp is outside the window")

    def handle(self, request: Request) -> Response:
        if request.path != JSON_PATH:
            return Response.text("Not Found", 404)
        if request.method != "POST":
            return Response.text("Method Not Allowed", 405, headers={"Allow": "POST"})
        try:
            try:
                body = request.json()
            except (ValueError, UnicodeDecodeError):
                raise MivaError("invalid_request", "The request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise MivaError("invalid_request", "The request body must be a JSON object")
            self._authenticate(request)
            self._check_envelope(body)
            p = _lower(body)
            if "operations" in p:
                if str(p.get("function", "Multicall")).lower() != "multicall":
                    raise MivaError("invalid_request", "Operations needs Function Multicall")
                return self._multicall(request, p["operations"])
            if "iterations" in p:
                return Response.json(self._iterations(body))
            return Response.json(self._call(body))
        except MivaError as exc:
            return Response.json(exc.body())

    def _iterations(self, op: Mapping[str, Any]) -> list[dict[str, Any]]:
        iterations = _lower(op).get("iterations")
        if not isinstance(iterations, list) or not iterations:
            raise MivaError("invalid_request", "Iterations must be a non-empty list", "Iterations")
        common = {k: v for k, v in op.items() if k.lower() != "iterations"}
        results = []
        for it in iterations:
            if not isinstance(it, dict):
                results.append(MivaError("invalid_request", "an iteration is an object").body())
                continue
            results.append(self._call({**common, **it}))
        return results

    def _multicall(self, request: Request, operations: Any) -> Response:
        if not isinstance(operations, list) or not operations:
            raise MivaError("invalid_request", "Operations must be a non-empty list", "Operations")
        total = len(operations)
        first, last = 1, total
        range_header = request.header("Range")
        if range_header is not None:
            match = _RANGE.match(range_header)
            first = int(match.group(1)) if match else 0
            last = int(match.group(2)) if match and match.group(2) else total
            if not match or not 1 <= first <= last <= total:
                return Response.json(
                    MivaError(
                        "invalid_range",
                        f"Range {range_header!r} does not select operations 1-{total}",
                    ).body(),
                    416,
                    {"Content-Range": f"*/{total}"},
                )
            self._count("ranged_requests")
        raw_timeout = request.header("X-Miva-API-Timeout")
        try:
            budget = float(raw_timeout) if raw_timeout is not None else self.default_timeout
        except ValueError:
            raise MivaError("invalid_request", "X-Miva-API-Timeout must be a number") from None
        results: list[Any] = []
        elapsed, done = 0.0, first - 1
        for index in range(first, last + 1):
            ran = index - first
            if ran and (
                elapsed >= budget or (self.partial_after is not None and ran >= self.partial_after)
            ):
                break
            op = operations[index - 1]
            if not isinstance(op, dict):
                results.append(MivaError("invalid_request", "an operation is an object").body())
            elif "operations" in _lower(op):
                results.append(MivaError("invalid_request", "Multicall cannot nest").body())
            elif "iterations" in _lower(op):
                try:
                    results.append(self._iterations(op))
                except MivaError as exc:
                    results.append(exc.body())
            else:
                results.append(self._call(op))
            self._count("operations_run")
            elapsed += self.operation_seconds
            done = index
        if done < last:
            self._count("partial_answers")
            return Response.json(results, 206, {"Content-Range": f"{done}/{total}"})
        return Response.json(results)

    # -- functions -------------------------------------------------------------------------
    def _call(self, params: Mapping[str, Any]) -> dict[str, Any]:
        name = str(_lower(params).get("function", ""))
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "productlist_adjust_inventory": self._adjust,
            "product_update": self._product_update,
            "productlist_load_query": self._product_list,
            "orderlist_load_query": self._order_list,
        }
        handler = handlers.get(name.lower())
        if handler is None:
            return MivaError("invalid_function", f"Unknown function {name!r}", "Function").body()
        self.stats.operation(name)
        try:
            return handler(params)
        except MivaError as exc:
            return exc.body()

    def _product(self, params: Mapping[str, Any], where: str) -> Item:
        p = _lower(params)
        keys = [k for k in _IDENTITY_KEYS if k in p]
        if not keys:
            raise MivaError("invalid_product", "No product was named", f"{where}.product_code")
        key = keys[0]
        if key == "product_id":
            item = self.catalog.by_seq(_int(p[key], f"{where}.product_id"))
        else:
            item = self.catalog.get(str(p[key]))
        if item is None:
            raise MivaError("invalid_product", f"Product not found: {p[key]!r}", f"{where}.{key}")
        return item

    @staticmethod
    def _fingerprint(params: Mapping[str, Any]) -> str:
        skip = {"miva_request_timestamp", "store_code"}
        return fingerprint({k: v for k, v in params.items() if k.lower() not in skip})

    def _adjust(self, params: Mapping[str, Any]) -> dict[str, Any]:
        entries = _lower(params).get("inventory_adjustments")
        if not isinstance(entries, list) or not entries:
            raise MivaError(
                "invalid_parameter",
                "Inventory_Adjustments must be a non-empty list",
                "Inventory_Adjustments",
            )
        with self.catalog.lock:
            plan: list[tuple[Item, int]] = []
            for i, entry in enumerate(entries):
                where = f"Inventory_Adjustments[{i}]"
                if not isinstance(entry, dict):
                    raise MivaError("invalid_parameter", "an adjustment is an object", where)
                item = self._product(entry, where)
                if "adjustment" not in _lower(entry):
                    raise MivaError("invalid_parameter", "adjustment is required", where)
                plan.append((item, _int(_lower(entry)["adjustment"], f"{where}.adjustment")))
            fp = self._fingerprint(params)
            applied = 0
            for item, delta in plan:
                if item.qoh is None:
                    self._counters["untracked_ignored"] += 1
                    continue
                self.catalog.set_qoh(item, item.qoh + delta)
                self.deltas.record(item.sku, fp)
                applied += 1
        self.stats.applied(applied)
        return {"success": 1}

    def _product_update(self, params: Mapping[str, Any]) -> dict[str, Any]:
        p = _lower(params)
        with self.catalog.lock:
            item = self._product(params, "Product")
            if "product_inventory" in p:
                level = _int(p["product_inventory"], "product_inventory")
                if item.qoh is None:
                    self._counters["untracked_ignored"] += 1
                else:
                    self.catalog.set_qoh(item, level)
                    self.stats.applied(1)
        return {"success": 1}

    @staticmethod
    def _listing(query: ListQuery, rows: list[Any], total: int) -> dict[str, Any]:
        return {
            "success": 1,
            "data": {"total_count": total, "start_offset": query.offset, "data": rows},
        }

    _PRODUCT_FIELDS = frozenset({"id", "code", "sku", "name", "active", "product_inventory"})

    def _product_row(self, item: Item, inventory: bool) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": item.seq,
            "code": item.sku,
            "sku": item.sku,
            "name": item.sku,
            "active": True,
            "price": 0,
            "cost": 0,
            "weight": 0,
            "taxable": True,
        }
        if inventory:
            row["product_inventory"] = item.qoh if item.qoh is not None else 0
            row["product_inventory_active"] = item.qoh is not None
        return row

    def _product_list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        query = ListQuery(params, self._PRODUCT_FIELDS)
        inventory = "product_inventory" in query.ondemand
        with self.catalog.lock:
            if not query.searches and query.sort in (None, "id") and not query.descending:
                total = len(self.catalog)
                count = query.count or total
                items = self.catalog.page(query.offset, count)
                examined = len(items)
            else:
                codes = query.indexed_codes()
                candidates = list(self.catalog) if codes is None else self._by_code(codes)
                examined = len(candidates)
                rows = query.page(candidates, lambda i: self._product_row(i, True))
                total = len(rows)
                end = query.offset + query.count if query.count else None
                items = rows[query.offset : end]
            data = [self._product_row(i, inventory) for i in items]
            self._counters["rows_examined"] += examined
        return self._listing(query, data, total)

    _ORDER_FIELDS = frozenset({"id", "orderdate"})

    def _order_row(self, order: Order, lines: bool) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": order.number,
            "orderdate": int(order.created_at.timestamp()),  # created_at is UTC-aware
            "status": 0,
            "total": 0,
        }
        if lines:
            row["items"] = [
                {
                    "order_id": order.number,
                    "line_id": order.number * 1000 + n,
                    "product_id": ln.seq,
                    "code": ln.sku,
                    "sku": ln.sku,
                    "name": ln.sku,
                    "quantity": ln.qty,
                    "price": 0,
                }
                for n, ln in enumerate(order.lines, start=1)
            ]
        return row

    def _order_list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        query = ListQuery(params, self._ORDER_FIELDS)
        lines = "items" in query.ondemand
        with self.catalog.lock:
            rows = query.page(list(self.catalog.orders), lambda o: self._order_row(o, False))
            total = len(rows)
            end = query.offset + query.count if query.count else None
            data = [self._order_row(o, lines) for o in rows[query.offset : end]]
        return self._listing(query, data, total)
