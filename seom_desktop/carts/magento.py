"""Magento 2 / Adobe Commerce with Multi-Source Inventory, REST ``/rest/V1``
(``cart-protocols.md`` section 6).

* Auth: ``Authorization: Bearer <integration token>`` (the cart's secret).
* Absolute quantities only: ``POST /V1/inventory/source-items {"sourceItems": [{sku,
  source_code, quantity, status}]}``. No delta endpoint and no idempotency, so the stack
  controller reads the cart's quantity and sets it to that plus the change. ``status`` is sent
  with every item (1 = in stock when the quantity is above 0, else 0): Magento stores it as
  sent, and a source item left at status 0 stays out of stock whatever its quantity.
* The source is the cart option ``source_code`` (default ``default``, Magento's single
  source); the cart's quantity of a SKU is its quantity at that source.
* Input limits: where the shop has them on, synchronous arrays are capped at 20 entities and
  read pages at 300 items. The cart option ``input_limits=true`` makes :attr:`max_batch` 20;
  without it the platform's own batch (``platforms.py``) applies. A shop that answers
  ``Maximum items of type ...`` gets an error that names the option.
* A save is all or nothing: an unknown SKU refuses the whole request (400 ``Validation
  Failed``, one ``Product with SKU "%sku" does not exist.`` per unknown SKU). Nothing was
  saved, so those SKUs are reported not found and the others are sent again at once. (Where
  Magento instead accepts an unknown SKU and creates an orphan source item, magento/magento2
  #38154, the SKU is reported OK by the cart; the next read shows it.) Magento's source items
  do not say whether a product's stock is managed, so "not tracked" cannot be reported.
* Reading: ``GET /V1/inventory/source-items?searchCriteria[pageSize]=N&searchCriteria
  [currentPage]=P`` -> ``{items, total_count}``. A page past the end answers the last page
  again, so paging stops on ``total_count``, never on an empty page. A few SKUs are read with
  a filter group of ``sku eq`` filters (ORed) and one ``source_code eq`` group.
* Orders: ``GET /V1/orders`` with ``entity_id gt <last>``, sorted by ``entity_id``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from seom_desktop.carts.base import (
    CartError,
    CartOrder,
    CartOrderLine,
    CartQoh,
    ItemResult,
    ItemStatus,
    QohSet,
)
from seom_desktop.carts.http import (
    HttpAnswer,
    HttpConnector,
    as_dict,
    as_int,
    as_list,
    option_flag,
)
from seom_desktop.store.carts import CartInfo

API_PATH = "/rest/V1"
INPUT_LIMIT = 20
"""Adobe Commerce's default cap on synchronous input arrays when input limits are on."""
LIMITED_PAGE = 300
"""The largest read page where input limits are on (Magento's default maximum pageSize)."""
UNLIMITED_PAGE = 1000
SKU_FILTER_CHUNK = 50
ORDER_PAGE = 100
DEFAULT_SOURCE = "default"
MESSAGE_CHARS = 2000
PARAMETER_CHARS = 200


def _criteria(
    *,
    page_size: int,
    page: int,
    groups: Sequence[Sequence[tuple[str, str, str]]] = (),
    sort: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """``searchCriteria[...]`` query parameters: filters of a group are ORed, groups ANDed."""
    params: dict[str, Any] = {
        "searchCriteria[pageSize]": page_size,
        "searchCriteria[currentPage]": page,
    }
    for g, group in enumerate(groups):
        for f, (field, condition, value) in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            params[f"{prefix}[field]"] = field
            params[f"{prefix}[value]"] = value
            params[f"{prefix}[condition_type]"] = condition
    if sort is not None:
        params["searchCriteria[sortOrders][0][field]"] = sort[0]
        params["searchCriteria[sortOrders][0][direction]"] = sort[1]
    return params


def _quantity(value: Any) -> int | None:
    """Magento's quantities are decimals (``5.0``); a fraction is rounded down."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    return as_int(float(math.floor(number)))


class MagentoConnector(HttpConnector):
    """A Magento 2 shop with MSI (see the module docstring)."""

    platform = "magento"

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        if base.endswith("/V1"):
            self.base = base
        elif "/rest" in base:
            self.base = base + "/V1"
        else:
            self.base = base + API_PATH
        self.source_code = cart.options.get("source_code", "").strip() or DEFAULT_SOURCE
        self.input_limits = option_flag(cart, "input_limits")
        self.page_size = LIMITED_PAGE if self.input_limits else UNLIMITED_PAGE

    @property
    def max_batch(self) -> int:
        """20 source items per save when the shop has input limits on (cart option
        ``input_limits=true``), else the platform's batch; capped by the cart's own option."""
        limit = INPUT_LIMIT if self.input_limits else self.capabilities.max_batch
        return max(1, min(limit, self.cart.max_items_per_send))

    # -- transport -------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        mutating: bool = False,
        accept: tuple[int, ...] = (),
    ) -> tuple[Any, HttpAnswer]:
        answer = self.http.request(
            method,
            self.base + path,
            params=params,
            json_body=body,
            headers={
                "Authorization": f"Bearer {self.cart.secret}",
                "Accept": "application/json",
            },
            mutating=mutating,
            what=what,
            accept=accept,
        )
        return self.http.json(answer, what, mutating=mutating), answer

    @staticmethod
    def _message(data: Any) -> str:
        """Magento's ``message`` with its ``%placeholders`` filled from ``parameters``."""
        if not isinstance(data, dict):
            return str(data)
        # Bounded: a hostile "%1%1%1..." with a long parameter must not blow up in memory.
        text = str(data.get("message") or "")[:MESSAGE_CHARS]
        parameters = data.get("parameters")
        if isinstance(parameters, dict):
            pairs = list(parameters.items())
        elif isinstance(parameters, list):
            pairs = list(enumerate(parameters, start=1))
        else:
            pairs = []
        for key, value in pairs[:20]:
            text = text.replace(f"%{key}", str(value)[:PARAMETER_CHARS])[:MESSAGE_CHARS]
        return text

    def _pages(
        self, groups: Sequence[Sequence[tuple[str, str, str]]], what: str
    ) -> Iterator[list[dict[str, Any]]]:
        """Source items page by page; stops on ``total_count`` (a page past the end is the
        last page again)."""
        page = 1
        while True:
            data, _ = self._call(
                "GET",
                "/inventory/source-items",
                f"{what} (page {page})",
                params=_criteria(page_size=self.page_size, page=page, groups=groups),
            )
            items = data.get("items") if isinstance(data, dict) else None
            total = data.get("total_count") if isinstance(data, dict) else None
            if not isinstance(items, list) or as_int(total) is None:
                raise self.http.error(
                    f"{what}: unexpected answer from Magento (no items / total_count)",
                    transient=True,
                )
            rows = [i for i in items if isinstance(i, dict)]
            if rows:
                yield rows
            if not rows or page * self.page_size >= (as_int(total) or 0):
                return
            page += 1

    # -- connection and reading ------------------------------------------------------------
    def test_connection(self) -> str:
        data, _ = self._call(
            "GET",
            "/inventory/source-items",
            "listing source items",
            params=_criteria(
                page_size=1, page=1, groups=[[("source_code", "eq", self.source_code)]]
            ),
        )
        total = as_int(as_dict(data).get("total_count"))
        shown = "?" if total is None else str(total)
        return (
            f"Connected to {self.cart.name} (Magento 2 REST, source {self.source_code!r}: "
            f"{shown} source items)"
        )

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        """Every source item, paged without a filter; the other sources' rows are skipped here
        (a filter would make each page a filtered query on the shop's side)."""
        for rows in self._pages((), "listing source items"):
            page = [
                CartQoh(str(r["sku"]), _quantity(r.get("quantity")))
                for r in rows
                if r.get("source_code") == self.source_code
                and isinstance(r.get("sku"), str | int)
                and r.get("sku")
            ]
            if page:
                yield page

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        wanted = list(dict.fromkeys(skus))
        found: dict[str, int | None] = {}
        for start in range(0, len(wanted), SKU_FILTER_CHUNK):
            chunk = wanted[start : start + SKU_FILTER_CHUNK]
            groups = [
                [("sku", "eq", sku) for sku in chunk],
                [("source_code", "eq", self.source_code)],
            ]
            names = set(chunk)
            for rows in self._pages(groups, f"reading {len(chunk)} SKUs"):
                for row in rows:
                    sku = str(row.get("sku") or "")
                    if sku in names and row.get("source_code") == self.source_code:
                        found[sku] = _quantity(row.get("quantity"))
        return found

    # -- Send QOH and real-time changes ----------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """``POST /V1/inventory/source-items``; unknown SKUs are taken out and the rest sent
        again (the save is all or nothing)."""
        if len(items) > self.max_batch:
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: dict[int, ItemResult] = {}
        send: list[int] = []
        seen: set[str] = set()
        for n, item in enumerate(items):
            if item.sku in seen:
                results[n] = ItemResult(
                    item.sku, ItemStatus.ERROR, "the SKU is twice in this batch"
                )
            else:
                seen.add(item.sku)
                send.append(n)
        first = True
        while send:
            what = f"saving {len(send)} source items"
            body = {
                "sourceItems": [
                    {
                        "sku": items[n].sku,
                        "source_code": self.source_code,
                        "quantity": items[n].quantity,
                        "status": 1 if items[n].quantity > 0 else 0,
                    }
                    for n in send
                ]
            }
            try:
                data, answer = self._call(
                    "POST", "/inventory/source-items", what, body=body, mutating=True, accept=(400,)
                )
            except CartError as exc:
                if first:
                    raise
                for n in send:
                    results[n] = ItemResult(
                        items[n].sku,
                        ItemStatus.ERROR,
                        str(exc),
                        transient=exc.transient,
                        applied_unknown=exc.applied_unknown,
                    )
                break
            first = False
            if answer.status == 400:
                unknown = self._unknown_skus(data, what)
                for n in send:
                    if items[n].sku in unknown:
                        results[n] = ItemResult(
                            items[n].sku,
                            ItemStatus.NOT_FOUND,
                            f'Product with SKU "{items[n].sku}" does not exist.',
                        )
                send = [n for n in send if items[n].sku not in unknown]
                continue
            for n in send:
                results[n] = ItemResult(items[n].sku, ItemStatus.OK, cart_qoh=items[n].quantity)
            break
        return [results[n] for n in range(len(items))]

    def _unknown_skus(self, data: Any, what: str) -> set[str]:
        """The SKUs a 400 ``Validation Failed`` names as not existing; any other 400 fails
        the call as a whole (with a hint where the cause is a cart option)."""
        message = self.http.snippet(self._message(data))
        unknown: set[str] = set()
        errors = data.get("errors") if isinstance(data, dict) else None
        for error in errors if isinstance(errors, list) else []:
            if not isinstance(error, dict):
                continue
            parameters = error.get("parameters")
            text = str(error.get("message") or "")
            if "does not exist" in text and isinstance(parameters, dict) and "sku" in parameters:
                unknown.add(str(parameters["sku"]))
        if unknown:
            return unknown
        hint = ""
        if message.startswith("Maximum items of type"):
            hint = "; the shop has input limits on: set the cart option input_limits=true"
        elif "Could not save Source Item" in message:
            hint = (
                f"; check that the source {self.source_code!r} exists (the cart option source_code)"
            )
        details = "; ".join(
            self._message(e) for e in (errors if isinstance(errors, list) else [])[:3]
        )
        raise self.http.error(
            f"{what}: Magento refused the request (HTTP 400): {message}"
            + (f" ({self.http.snippet(details)})" if details else "")
            + hint,
            status=400,
            transient=False,
        )

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """``GET /V1/orders`` with ``entity_id gt <after>``, sorted by ``entity_id``."""
        groups: list[list[tuple[str, str, str]]] = []
        if after:
            if not after.strip().isdigit():
                raise self.http.error(
                    f"the last order number {after!r} is not a Magento order id",
                    transient=False,
                )
            groups.append([("entity_id", "gt", after.strip())])
        size = max(1, min(ORDER_PAGE, batch))
        data, _ = self._call(
            "GET",
            "/orders",
            "listing orders",
            params=_criteria(page_size=size, page=1, groups=groups, sort=("entity_id", "ASC")),
        )
        orders: list[CartOrder] = []
        for order in as_list(as_dict(data).get("items")):
            if not isinstance(order, dict) or order.get("entity_id") is None:
                continue
            lines = tuple(
                CartOrderLine(str(line["sku"]), _quantity(line.get("qty_ordered")) or 0)
                for line in as_list(order.get("items"))
                if isinstance(line, dict) and line.get("sku") and not line.get("parent_item_id")
            )
            orders.append(CartOrder(str(order["entity_id"]), lines))
        return orders[:batch]
