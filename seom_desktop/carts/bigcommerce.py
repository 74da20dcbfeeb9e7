"""BigCommerce through its v3 Inventory API (orders: v2), ``cart-protocols.md`` section 4.

Base ``{url}/stores/{store hash}/v3`` (the cart's user name is the store hash; a URL that
already names ``/stores/{hash}`` is used as given) with the ``X-Auth-Token`` header.

* Send QOH: ``PUT /inventory/adjustments/absolute {reason, items:[{location_id, quantity,
  sku}]}``. Real-time changes: ``POST /inventory/adjustments/relative`` (same shape, signed
  quantity). There is no idempotency key, so the stack controller's lost-answer rule for delta
  carts without keys applies (pre-image, then a read after a lost answer). The ``reason``
  carries a short hash of the items' stack keys, so each send is told apart in the shop's
  inventory history.
* At most 2,000 items per request (the platform's ``max_batch``).
* A request is all or nothing: one unknown or untracked item refuses the whole request with
  422 and a v3 problem body whose ``errors`` name each bad item (``items[<i>]``). Nothing was
  applied, so those items get their own result (not found / not tracked / error) and the
  others are sent again at once ("Lessons": one bad item must not fail a batch).
* The location is the cart option ``location_id`` (default 1, the store's default location).
* Reading: ``GET /inventory/items?page&limit`` (limit up to 1,000), ``meta.pagination
  .total_pages``; a few SKUs are read with the documented ``sku:in`` filter. The quantity is
  the location's ``total_inventory_onhand`` (what an absolute or relative adjustment moves).
  Items whose inventory is not tracked are not listed.
* Rate limit: the quota per 30-second window; the HTTP layer's limiter reads
  ``X-Rate-Limit-Requests-Left`` / ``X-Rate-Limit-Time-Reset-Ms`` and waits for the window to
  reset when it is spent, and waits out a 429 by its ``Retry-After``.
* Orders (v2): ``GET /v2/orders?min_id=&sort=id:asc`` and ``/v2/orders/{id}/products``; an
  empty list is ``204 No Content``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
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
from seom_desktop.carts.http import HttpAnswer, HttpConnector, as_dict, as_int, as_list
from seom_desktop.store.carts import CartInfo

ADJUST_LIMIT = 2000
PAGE_LIMIT = 1000
SKU_FILTER_CHUNK = 50
ORDER_LIMIT = 250
DEFAULT_LOCATION = 1
REASON = "SEOM Desktop"
KEY_NAMESPACE = uuid.UUID("2b0f3c1e-8d6a-4c1f-9e57-3a8f0b6d4e21")


_int = as_int
"""A number from the cart (None when it is not a believable integer)."""


class BigCommerceConnector(HttpConnector):
    """A BigCommerce store (see the module docstring)."""

    platform = "bigcommerce"

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        store_hash = cart.options.get("store_hash", "").strip() or cart.username.strip()
        if "/stores/" in base:
            root = base[: -len("/v3")] if base.endswith("/v3") else base
        else:
            root = f"{base}/stores/{store_hash}"
        self.v3 = root + "/v3"
        self.v2 = root + "/v2"
        raw_location = cart.options.get("location_id", "").strip()
        try:
            self.location = int(raw_location) if raw_location else DEFAULT_LOCATION
        except ValueError:
            raise CartError(
                f"{cart.name}: the cart option location_id must be a number, not {raw_location!r}",
                transient=False,
            ) from None

    # -- transport -------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        mutating: bool = False,
        accept: tuple[int, ...] = (),
    ) -> tuple[Any, HttpAnswer]:
        answer = self.http.request(
            method,
            url,
            params=params,
            json_body=body,
            headers={"X-Auth-Token": self.cart.secret, "Accept": "application/json"},
            mutating=mutating,
            what=what,
            accept=accept,
        )
        if answer.status == 204 or not answer.body.strip():
            return None, answer
        return self.http.json(answer, what, mutating=mutating), answer

    def _items_pages(self, params: dict[str, Any], what: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of ``GET /inventory/items`` (``meta.pagination.total_pages``)."""
        page = 1
        while True:
            data, _ = self._call(
                "GET",
                self.v3 + "/inventory/items",
                f"{what} (page {page})",
                params={**params, "page": page},
            )
            records = data.get("data") if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise self.http.error(
                    f"{what}: unexpected answer from BigCommerce (no data list)", transient=True
                )
            if records:
                yield [r for r in records if isinstance(r, dict)]
            pagination = as_dict(as_dict(as_dict(data).get("meta")).get("pagination"))
            pages = _int(pagination.get("total_pages")) or 0
            if not records or page >= pages:
                return
            page += 1

    def _level(self, record: dict[str, Any]) -> tuple[str, int | None] | None:
        """(SKU, on-hand quantity at the cart's location) of one inventory item."""
        identity = record.get("identity") or {}
        sku = str(identity.get("sku") or "").strip() if isinstance(identity, dict) else ""
        if not sku:
            return None
        for location in as_list(record.get("locations")):
            if isinstance(location, dict) and _int(location.get("location_id")) == self.location:
                onhand = _int(location.get("total_inventory_onhand"))
                if onhand is None:
                    onhand = _int(location.get("available_to_sell"))
                return sku, onhand
        return sku, None

    # -- connection and reading ------------------------------------------------------------
    def test_connection(self) -> str:
        data, _ = self._call(
            "GET", self.v3 + "/inventory/items", "listing inventory items", params={"limit": 1}
        )
        pagination = as_dict(as_dict(as_dict(data).get("meta")).get("pagination"))
        total = _int(pagination.get("total"))
        shown = "?" if total is None else str(total)
        return f"Connected to {self.cart.name} (BigCommerce v3, {shown} inventory items)"

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        params = {"limit": PAGE_LIMIT, "location_id:in": self.location}
        for records in self._items_pages(params, "listing inventory items"):
            page = [CartQoh(*found) for r in records if (found := self._level(r)) is not None]
            if page:
                yield page

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        """The documented ``sku:in`` filter, 50 SKUs a request. A SKU with a comma cannot be
        named in that list; such SKUs are found by reading every page (rare)."""
        wanted = list(dict.fromkeys(skus))
        plain = [s for s in wanted if "," not in s]
        found: dict[str, int | None] = {}
        for start in range(0, len(plain), SKU_FILTER_CHUNK):
            chunk = plain[start : start + SKU_FILTER_CHUNK]
            params = {
                "sku:in": ",".join(chunk),
                "limit": PAGE_LIMIT,
                "location_id:in": self.location,
            }
            for records in self._items_pages(params, f"reading {len(chunk)} SKUs"):
                for record in records:
                    level = self._level(record)
                    if level is not None and level[0] in chunk:
                        found[level[0]] = level[1]
        odd = {s for s in wanted if "," in s}
        if odd:
            for page in self.iter_qoh():
                found.update((q.sku, q.qoh) for q in page if q.sku in odd)
        return found

    # -- changes ---------------------------------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """``PUT /inventory/adjustments/absolute``."""
        entries = [(item.sku, item.quantity, item.key or "") for item in items]
        return self._adjust(entries, relative=False)

    def adjust_qoh(self, items: Sequence[QohDelta]) -> list[ItemResult]:
        """``POST /inventory/adjustments/relative`` (no idempotency key: see the module doc)."""
        entries = [(item.sku, item.delta, item.key) for item in items]
        return self._adjust(entries, relative=True)

    def _adjust(self, entries: list[tuple[str, int, str]], *, relative: bool) -> list[ItemResult]:
        if len(entries) > min(self.max_batch, ADJUST_LIMIT):
            raise ValueError(f"at most {self.max_batch} items per call, not {len(entries)}")
        results: dict[int, ItemResult] = {}
        send: list[int] = []
        seen: set[str] = set()
        for n, (sku, _quantity, _key) in enumerate(entries):
            if sku in seen:
                results[n] = ItemResult(sku, ItemStatus.ERROR, "the SKU is twice in this batch")
            else:
                seen.add(sku)
                send.append(n)
        kind = "relative" if relative else "absolute"
        first = True
        while send:
            what = f"{kind} adjustment of {len(send)} items"
            keys = [entries[n][2] for n in send]
            tag = str(uuid.uuid5(KEY_NAMESPACE, "|".join(keys)))[:8] if any(keys) else ""
            body = {
                "reason": f"{REASON} {tag}".strip(),
                "items": [
                    {"location_id": self.location, "quantity": entries[n][1], "sku": entries[n][0]}
                    for n in send
                ],
            }
            try:
                data, answer = self._call(
                    "POST" if relative else "PUT",
                    f"{self.v3}/inventory/adjustments/{kind}",
                    what,
                    body=body,
                    mutating=True,
                    accept=(422,),
                )
            except CartError as exc:
                if first:
                    raise
                for n in send:
                    results[n] = ItemResult(
                        entries[n][0],
                        ItemStatus.ERROR,
                        str(exc),
                        transient=exc.transient,
                        applied_unknown=exc.applied_unknown,
                    )
                break
            first = False
            if answer.status == 422:
                refused = self._refused(data, send, entries, what)
                results.update(refused)
                send = [n for n in send if n not in refused]
                continue
            if not isinstance(data, dict):
                raise self.http.error(
                    f"{what}: unexpected answer from BigCommerce (the changes may have been "
                    "applied)",
                    transient=True,
                    applied_unknown=True,
                )
            for n in send:
                sku, quantity, _key = entries[n]
                results[n] = ItemResult(sku, ItemStatus.OK, cart_qoh=None if relative else quantity)
            break
        return [results[n] for n in range(len(entries))]

    def _refused(
        self, data: Any, send: list[int], entries: list[tuple[str, int, str]], what: str
    ) -> dict[int, ItemResult]:
        """The items a 422 names (nothing was applied). A 422 that names none of them (the
        batch itself is refused, or the location is unknown) fails the call as a whole."""
        title = self.http.clean(as_dict(data).get("title") or "")
        errors = as_dict(data).get("errors")
        if title.lower().startswith("location not found"):
            raise self.http.error(
                f"{what}: BigCommerce has no location {self.location} ({self.http.snippet(title)});"
                " set the cart option location_id to the store's inventory location",
                status=422,
                transient=False,
            )
        refused: dict[int, ItemResult] = {}
        if isinstance(errors, dict):
            for field, why in errors.items():
                name = str(field)
                if not (name.startswith("items[") and name.endswith("]")):
                    continue
                index = _int(name[len("items[") : -1])
                if index is None or not 0 <= index < len(send):
                    continue
                n = send[index]
                sku = entries[n][0]
                message = self.http.snippet(str(why))
                lowered = message.lower()
                if "not found" in lowered or "does not exist" in lowered:
                    refused[n] = ItemResult(sku, ItemStatus.NOT_FOUND, message, code="422")
                elif "tracking" in lowered or "not tracked" in lowered:
                    refused[n] = ItemResult(sku, ItemStatus.NOT_TRACKED, message, code="422")
                else:
                    refused[n] = ItemResult(sku, ItemStatus.ERROR, message, code="422")
        if not refused:
            raise self.http.error(
                f"{what}: BigCommerce refused the request (HTTP 422): "
                f"{self.http.snippet(title or str(data))}",
                status=422,
                transient=False,
            )
        return refused

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """``GET /v2/orders?min_id=<after + 1>&sort=id:asc``, then each order's products."""
        params: dict[str, Any] = {"sort": "id:asc", "limit": max(1, min(ORDER_LIMIT, batch))}
        if after:
            last = _int(after)
            if last is None:
                raise self.http.error(
                    f"the last order number {after!r} is not a BigCommerce order id",
                    transient=False,
                )
            params["min_id"] = last + 1
        data, _ = self._call("GET", self.v2 + "/orders", "listing orders", params=params)
        orders: list[CartOrder] = []
        for order in as_list(data):
            if not isinstance(order, dict) or _int(order.get("id")) is None:
                continue
            number = int(order["id"])
            orders.append(CartOrder(str(number), tuple(self._order_lines(number))))
            if len(orders) >= batch:
                break
        return orders

    def _order_lines(self, number: int) -> Iterator[CartOrderLine]:
        page = 1
        while True:
            data, _ = self._call(
                "GET",
                f"{self.v2}/orders/{number}/products",
                f"reading the products of order {number}",
                params={"page": page, "limit": ORDER_LIMIT},
            )
            lines = [x for x in as_list(data) if isinstance(x, dict)]
            for line in lines:
                sku = str(line.get("sku") or "").strip()
                if sku:
                    yield CartOrderLine(sku, _int(line.get("quantity")) or 0)
            if len(lines) < ORDER_LIMIT:
                return
            page += 1
