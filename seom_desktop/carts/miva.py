"""Miva through its JSON API, ``POST {url}/mm5/json.mvc`` (``cart-protocols.md`` section 5).

Every request carries ``Store_Code`` (the cart's user name, or the cart option
``store_code``), ``Miva_Request_Timestamp`` (Unix seconds) and the header
``X-Miva-API-Authorization: MIVA <token>`` (the cart's secret).

* Function errors come back as HTTP 200 ``{"success": 0, "error_code", "error_message"}``:
  success is read from ``success``, never from the HTTP status.
* Real-time changes: ``ProductList_Adjust_Inventory {Inventory_Adjustments: [{product_code,
  adjustment}]}``. No idempotency key, so the stack controller's lost-answer rule for delta
  carts without keys applies. Send QOH: ``Product_Update`` with ``product_inventory``.
* Batches are one **multicall** (``Operations``) with one operation per item, so each item has
  its own result and one unknown product cannot refuse the others.
* Unknown and untracked products: before a batch the products are looked up with
  ``ProductList_Load_Query`` (``product_inventory`` on-demand column); a product that is not
  listed is reported not found and one whose inventory is off not tracked, and neither is sent
  (whether Miva ignores an adjustment of an untracked product is not documented).
* **The 206 partial answer.** ``X-Miva-API-Timeout`` gives the request a time budget a little
  under our own read timeout. When Miva runs out of it mid-batch it answers HTTP 206 with
  ``Content-Range: <done>/<total>`` and the results of the finished operations; the same
  request body is then sent again with ``Range: Operations=<done + 1>-`` so that only the
  unfinished operations run (re-sending a finished delta would apply it twice). See
  :meth:`MivaConnector._multicall` for what happens when a continuation fails.
* Baskets: Miva keeps stock in open baskets. ``Product_Update`` does not count it, so the
  platform carries a warning (``platforms.MIVA_BASKET_WARNING``, :attr:`MivaConnector.notes`)
  that the cart's edit form shows and Send QOH adds to its report.
* Reading: ``ProductList_Load_Query {Count, Offset, Sort: "id", Ondemandcolumns:
  ["product_inventory"]}`` pages; a few SKUs by a ``search`` filter (conditions of one filter
  entry are ORed). Orders: ``OrderList_Load_Query`` with ``id GT <last>`` and the on-demand
  column ``items``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from seom_desktop.carts.http import HttpConnector, as_int, as_list
from seom_desktop.carts.platforms import MIVA_BASKET_WARNING
from seom_desktop.store.carts import CartInfo

JSON_PATH = "/mm5/json.mvc"
PAGE = 500
LOOKUP_CHUNK = 100
MAX_CONTINUATIONS = 1000
"""A multicall answered 206 is continued until every operation ran; each continuation runs at
least one operation, so this only stops a cart that answers 206 without progress."""
_AUTH_CODES = frozenset(
    {"invalid_authorization", "invalid_token", "invalid_store", "signature_required"}
)


_int = as_int
"""A number from the cart (None when it is not a believable integer)."""


@dataclass(frozen=True)
class OpOutcome:
    """What became of one multicall operation.

    ``result`` is the operation's own answer when it finished and Miva sent it. Otherwise
    ``failure`` says why there is none: the request carrying it failed (``applied_unknown``
    tells whether it may have run) or Miva counted it as finished without its result.
    """

    result: Any = None
    failure: CartError | None = None

    @property
    def finished(self) -> bool:
        return self.failure is None


def _product_fields(row: Mapping[str, Any]) -> tuple[str, int | None] | None:
    """(code, inventory or None when Miva does not track it) of a product row."""
    code = str(row.get("code") or "").strip()
    if not code:
        return None
    active = row.get("product_inventory_active")
    level = _int(row.get("product_inventory"))
    if active is False or active == 0 or level is None:
        return code, None
    return code, level


class MivaConnector(HttpConnector):
    """A Miva store (see the module docstring)."""

    platform = "miva"
    notes = MIVA_BASKET_WARNING
    """Shown on the cart's edit form and added to the Send QOH report."""

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        self.endpoint = base if base.endswith(".mvc") else base + JSON_PATH
        self.store_code = cart.options.get("store_code", "").strip() or cart.username
        raw = cart.options.get("api_timeout", "").strip()
        try:
            budget = int(raw) if raw else int(self.timeout * 0.75)
        except ValueError:
            budget = int(self.timeout * 0.75)
        self.api_timeout = max(1, budget)
        """``X-Miva-API-Timeout``: Miva stops and answers 206 before we stop waiting."""

    # -- transport -------------------------------------------------------------------------
    def _envelope(self) -> dict[str, Any]:
        return {"Store_Code": self.store_code, "Miva_Request_Timestamp": int(time.time())}

    def _post(
        self,
        body: dict[str, Any],
        what: str,
        *,
        mutating: bool,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, int, str]:
        """One POST; (decoded JSON, HTTP status, Content-Range)."""
        answer = self.http.request(
            "POST",
            self.endpoint,
            json_body=body,
            headers={
                "X-Miva-API-Authorization": f"MIVA {self.cart.secret}",
                "X-Miva-API-Timeout": str(self.api_timeout),
                "Accept": "application/json",
                **(headers or {}),
            },
            mutating=mutating,
            what=what,
        )
        data = self.http.json(answer, what, mutating=mutating)
        return data, answer.status, answer.headers.get("Content-Range", "")

    def _function_error(self, data: Mapping[str, Any], what: str) -> CartError:
        """A ``success: 0`` answer to a whole request (nothing ran)."""
        code = self.http.clean(data.get("error_code") or "", 100)
        message = self.http.snippet(str(data.get("error_message") or code or "failed"))
        if code in _AUTH_CODES:
            return self.http.error(
                f"{what}: Miva refused the credentials or store code ({code}): {message}",
                transient=False,
            )
        return self.http.error(
            f"{what}: Miva answered {code or 'an error'}: {message}",
            transient=not data.get("validation_error"),
        )

    def _function(self, function: str, params: dict[str, Any], what: str) -> dict[str, Any]:
        """One read-only function; its ``data``."""
        data, _status, _range = self._post(
            {**self._envelope(), "Function": function, **params}, what, mutating=False
        )
        if not isinstance(data, dict):
            raise self.http.error(f"{what}: unexpected answer from Miva", transient=True)
        if data.get("success") in (0, False, "0"):
            raise self._function_error(data, what)
        inner = data.get("data")
        return inner if isinstance(inner, dict) else {}

    def _multicall(
        self, operations: list[dict[str, Any]], what: str, *, mutating: bool
    ) -> list[OpOutcome]:
        """Run ``operations`` as one multicall, continuing 206 partial answers.

        The documented rule: after ``206`` with ``Content-Range: done/total`` the *same* body
        is sent again with ``Range: Operations=<done + 1>-`` and only the unfinished
        operations run. Hence:

        * an operation Miva reported finished is never sent again;
        * a failure of the first request raises :class:`CartError` (nothing is known);
        * a failure of a continuation ends the call: the finished operations keep their
          results, the unfinished ones get the failure - with ``applied_unknown`` only when
          that continuation may have run them (a lost answer), never for the finished ones;
        * an operation that Miva counts as finished but whose result is missing from the
          answer may have run: it is reported in doubt and not sent again.
        """
        total = len(operations)
        body = {**self._envelope(), "Function": "Multicall", "Operations": operations}
        outcomes: list[OpOutcome | None] = [None] * total
        first = 1
        for attempt in range(MAX_CONTINUATIONS + 1):
            part = what if first == 1 else f"{what} (continuing from operation {first})"
            headers = {"Range": f"Operations={first}-"} if first > 1 else {}
            try:
                data, status, content_range = self._post(
                    body, part, mutating=mutating, headers=headers
                )
                if isinstance(data, dict) and data.get("success") in (0, False, "0"):
                    raise self._function_error(data, part)
                if not isinstance(data, list):
                    raise self.http.error(
                        f"{part}: unexpected answer from Miva (not a list of results)"
                        + ("; the changes may have been applied" if mutating else ""),
                        transient=True,
                        applied_unknown=mutating,
                    )
            except CartError as exc:
                if first == 1:
                    raise
                return self._finish(outcomes, exc)
            done = total if status != 206 else self._done(content_range, len(data), first, total)
            finished = max(done - (first - 1), len(data))
            for offset in range(finished):
                index = first - 1 + offset
                if index >= total:
                    break
                if offset < len(data):
                    outcomes[index] = OpOutcome(result=data[offset])
                else:
                    outcomes[index] = OpOutcome(
                        failure=self.http.error(
                            f"{part}: Miva reported operation {index + 1} finished but sent no "
                            "result for it; the change may have been applied",
                            transient=True,
                            applied_unknown=mutating,
                        )
                    )
            first += finished
            if first > total:
                break
            if finished == 0:
                # Content-Range says nothing finished: Miva ran none of them.
                return self._finish(
                    outcomes,
                    self.http.error(
                        f"{part}: Miva answered 206 without finishing any operation",
                        transient=True,
                    ),
                )
            self.log.info(
                "%s: %s: partial answer (206), %d of %d operations finished; continuing",
                self.cart.name,
                what,
                first - 1,
                total,
            )
            if attempt == MAX_CONTINUATIONS:
                return self._finish(
                    outcomes,
                    self.http.error(f"{what}: too many partial answers", transient=True),
                )
        return [o if o is not None else OpOutcome() for o in outcomes]

    def _done(self, content_range: str, returned: int, first: int, total: int) -> int:
        """The last finished operation (1-based) from ``Content-Range: done/total``; without
        a readable header, the operations whose results came back."""
        done_text, _, total_text = content_range.strip().partition("/")
        done = _int(done_text.strip())
        stated = _int(total_text.strip())
        if done is None or (stated is not None and stated != total) or done > total:
            self.log.warning(
                "%s: unreadable Content-Range %r on a partial answer; counting the %d results",
                self.cart.name,
                content_range,
                returned,
            )
            return first - 1 + returned
        return done

    @staticmethod
    def _finish(outcomes: list[OpOutcome | None], exc: CartError) -> list[OpOutcome]:
        return [o if o is not None else OpOutcome(failure=exc) for o in outcomes]

    # -- connection and reading ------------------------------------------------------------
    def test_connection(self) -> str:
        data = self._function(
            "ProductList_Load_Query", {"Count": 1, "Offset": 0}, "listing products"
        )
        total = _int(data.get("total_count"))
        shown = "?" if total is None else str(total)
        return f"Connected to {self.cart.name} (Miva JSON API, {shown} products)"

    def _products(self, params: dict[str, Any], what: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``ProductList_Load_Query`` with the inventory column, until total_count."""
        offset = 0
        while True:
            data = self._function(
                "ProductList_Load_Query",
                {
                    "Count": PAGE,
                    "Offset": offset,
                    "Sort": "id",
                    "Ondemandcolumns": ["product_inventory"],
                    **params,
                },
                f"{what} (from {offset})",
            )
            rows = [r for r in as_list(data.get("data")) if isinstance(r, dict)]
            if rows:
                yield rows
            total = _int(data.get("total_count"))
            offset += len(rows)
            if not rows or total is None or offset >= total:
                return

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        for rows in self._products({}, "listing products"):
            page = [CartQoh(*found) for r in rows if (found := _product_fields(r)) is not None]
            if page:
                yield page

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        """A ``search`` filter of ``code EQ`` conditions (ORed), 100 SKUs a request."""
        return {sku: level for sku, level in self._lookup(skus).items()}

    def _lookup(self, skus: Sequence[str]) -> dict[str, int | None]:
        wanted = list(dict.fromkeys(skus))
        found: dict[str, int | None] = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            search = {
                "name": "search",
                "value": [{"field": "code", "operator": "EQ", "value": sku} for sku in chunk],
            }
            names = set(chunk)
            for rows in self._products({"Filter": [search]}, f"reading {len(chunk)} products"):
                for row in rows:
                    fields = _product_fields(row)
                    if fields is not None and fields[0] in names:
                        found[fields[0]] = fields[1]
        return found

    # -- changes ---------------------------------------------------------------------------
    def adjust_qoh(self, items: Sequence[QohDelta]) -> list[ItemResult]:
        """``ProductList_Adjust_Inventory``, one multicall operation per item."""
        return self._change(
            [(i.sku, i.delta) for i in items],
            lambda sku, amount: {
                "Function": "ProductList_Adjust_Inventory",
                "Inventory_Adjustments": [{"product_code": sku, "adjustment": amount}],
            },
            relative=True,
        )

    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """``Product_Update`` with ``product_inventory``, one multicall operation per item.
        Stock held in open baskets is not counted (see :data:`MIVA_BASKET_WARNING`)."""
        return self._change(
            [(i.sku, i.quantity) for i in items],
            lambda sku, amount: {
                "Function": "Product_Update",
                "Product_Code": sku,
                "product_inventory": amount,
            },
            relative=False,
        )

    def _change(
        self,
        entries: list[tuple[str, int]],
        operation: Callable[[str, int], dict[str, Any]],
        *,
        relative: bool,
    ) -> list[ItemResult]:
        if len(entries) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} items per call, not {len(entries)}")
        results: dict[int, ItemResult] = {}
        known = self._lookup([sku for sku, _ in entries]) if entries else {}
        send: list[int] = []
        seen: set[str] = set()
        for n, (sku, _amount) in enumerate(entries):
            if sku not in known:
                results[n] = ItemResult(sku, ItemStatus.NOT_FOUND, "no product has this code")
            elif known[sku] is None:
                results[n] = ItemResult(
                    sku, ItemStatus.NOT_TRACKED, "Miva does not track this product's inventory"
                )
            elif sku in seen:
                results[n] = ItemResult(sku, ItemStatus.ERROR, "the SKU is twice in this batch")
            else:
                seen.add(sku)
                send.append(n)
        if send:
            kind = "inventory adjustment" if relative else "inventory update"
            outcomes = self._multicall(
                [operation(*entries[n]) for n in send],
                f"{kind} of {len(send)} products",
                mutating=True,
            )
            for n, outcome in zip(send, outcomes, strict=True):
                sku, amount = entries[n]
                # A delta's answer has no count (it may have moved since the look-up).
                results[n] = self._item_result(sku, outcome, None if relative else amount)
        return [results[n] for n in range(len(entries))]

    def _item_result(self, sku: str, outcome: OpOutcome, after: int | None) -> ItemResult:
        if outcome.failure is not None:
            exc = outcome.failure
            return ItemResult(
                sku,
                ItemStatus.ERROR,
                str(exc),
                transient=exc.transient,
                applied_unknown=exc.applied_unknown,
            )
        result = outcome.result
        if not isinstance(result, dict):
            return ItemResult(
                sku,
                ItemStatus.ERROR,
                "Miva's result for this product is unreadable; the change may have been applied",
                transient=True,
                applied_unknown=True,
            )
        if result.get("success") in (1, True, "1"):
            return ItemResult(sku, ItemStatus.OK, cart_qoh=after)
        code = self.http.clean(result.get("error_code") or "", 100)
        message = self.http.snippet(str(result.get("error_message") or code or "failed"))
        lowered = message.lower()
        if code == "invalid_product" or "not found" in lowered or "does not exist" in lowered:
            return ItemResult(sku, ItemStatus.NOT_FOUND, message, code=code)
        return ItemResult(
            sku,
            ItemStatus.ERROR,
            message,
            code=code,
            transient=not result.get("validation_error"),
        )

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """``OrderList_Load_Query`` with ``id GT <after>``, oldest first, with their items."""
        params: dict[str, Any] = {
            "Count": max(1, batch),
            "Offset": 0,
            "Sort": "id",
            "Ondemandcolumns": ["items"],
        }
        if after:
            if _int(after) is None:
                raise self.http.error(
                    f"the last order number {after!r} is not a Miva order id", transient=False
                )
            params["Filter"] = [
                {"name": "search", "value": [{"field": "id", "operator": "GT", "value": after}]}
            ]
        data = self._function("OrderList_Load_Query", params, "listing orders")
        orders: list[CartOrder] = []
        for row in as_list(data.get("data")):
            if not isinstance(row, dict) or _int(row.get("id")) is None:
                continue
            lines = tuple(
                CartOrderLine(
                    str(line.get("code") or line.get("sku") or "").strip(),
                    _int(line.get("quantity")) or 0,
                )
                for line in as_list(row.get("items"))
                if isinstance(line, dict) and (line.get("code") or line.get("sku"))
            )
            orders.append(CartOrder(str(row["id"]), lines))
        return orders[:batch]
