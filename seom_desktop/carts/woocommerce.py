"""WooCommerce through its REST API v3, ``/wp-json/wc/v3`` (``cart-protocols.md`` section 3).

* Auth: HTTP Basic, consumer key as user and consumer secret as password (over HTTPS; see the
  http layer's plain-http rule).
* Absolute quantities only (no delta endpoint, no idempotency): ``POST /products/batch`` with
  ``{"update": [{"id", "stock_quantity"}]}`` for simple products and
  ``POST /products/{parent}/variations/batch`` for variations, at most 100 items per request
  (more is refused with 413 ``woocommerce_rest_request_entity_too_large``). The answer has one
  entry per item, an ``error`` object for a failed one, so one bad item never fails the rest.
  ``manage_stock`` is never sent: a product whose stock WooCommerce does not manage is reported
  NOT_TRACKED, not switched to managed stock behind the shop owner's back.
* Reading: ``GET /products?per_page=100&page=N`` (100 is the maximum), only the fields stock
  needs (WordPress's ``_fields``, ``STOCK_FIELDS``), totals in ``X-WP-Total``
  and ``X-WP-TotalPages``; a variable product's stock lives on its variations
  (``GET /products/{id}/variations``). The SKU -> id map is filled from these pages or, for a
  few SKUs, from ``GET /products?sku=a,b``.
* Orders: ``GET /orders`` after the date of the last imported order, oldest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote_plus

from seom_desktop.carts.base import (
    CartError,
    CartOrder,
    CartOrderLine,
    CartQoh,
    ItemResult,
    ItemStatus,
    QohSet,
)
from seom_desktop.carts.http import HttpAnswer, HttpConnector, as_dict, as_int, as_list
from seom_desktop.store.carts import CartInfo

API_PATH = "/wp-json/wc/v3"
PER_PAGE = 100
BATCH_LIMIT = 100
SKU_FILTER_CHUNK = PER_PAGE
"""SKUs per ``?sku=a,b`` search: at most a page of answers..."""
SKU_FILTER_CHARS = 2000
"""...and at most this many characters of URL-encoded SKUs, so that the request line stays
well under the 8 KB web servers commonly accept (long SKUs make smaller searches)."""
STOCK_FIELDS = "id,sku,type,variations,manage_stock,stock_quantity"
"""WordPress's ``_fields``: the fields of a product or variation that stock needs. A real
product record is mostly descriptions, prices, images and links (kilobytes each): asking
for these six makes pages many times smaller to send and to decode."""
_NOT_FOUND_CODES = (
    "woocommerce_rest_product_invalid_id",
    "woocommerce_rest_product_variation_invalid_id",
    "woocommerce_rest_invalid_product_id",
)


def _sku_chunks(skus: Sequence[str]) -> Iterator[list[str]]:
    """The SKUs in searches of at most SKU_FILTER_CHUNK SKUs and SKU_FILTER_CHARS characters."""
    chunk: list[str] = []
    size = 0
    for sku in skus:
        # and the URL-encoded comma; most SKUs are letters and digits, which encode as they are
        length = (len(sku) if sku.isascii() and sku.isalnum() else len(quote_plus(sku))) + 3
        if chunk and (len(chunk) >= SKU_FILTER_CHUNK or size + length > SKU_FILTER_CHARS):
            yield chunk
            chunk, size = [], 0
        chunk.append(sku)
        size += length
    if chunk:
        yield chunk


class _Ref(NamedTuple):
    id: int
    parent: int | None
    """The variable product a variation belongs to; None for a product."""
    tracked: bool


def _stock(record: dict[str, Any]) -> int | None:
    """``stock_quantity`` when WooCommerce manages the stock (``manage_stock`` true)."""
    if record.get("manage_stock") is not True:
        return None
    return as_int(record.get("stock_quantity"))


class WooCommerceConnector(HttpConnector):
    """A WooCommerce shop (see the module docstring)."""

    platform = "woocommerce"

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        self.base = base if "/wp-json/" in base else base + API_PATH
        self._refs: dict[str, _Ref] = {}
        self._scanned = False

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
    ) -> tuple[Any, HttpAnswer]:
        answer = self.http.request(
            method,
            self.base + path,
            params=params,
            json_body=body,
            auth=(self.cart.username, self.cart.secret),
            headers={"Accept": "application/json"},
            mutating=mutating,
            what=what,
        )
        return self.http.json(answer, what, mutating=mutating), answer

    def _list(self, path: str, what: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint (``per_page`` 100, ``X-WP-TotalPages``)."""
        page = 1
        while True:
            data, answer = self._call(
                "GET", path, f"{what} (page {page})", params={**params, "page": page}
            )
            if not isinstance(data, list):
                raise self.http.error(f"{what}: expected a list from WooCommerce", transient=True)
            if data:
                yield [d for d in data if isinstance(d, dict)]
            try:
                pages = int(answer.headers.get("X-WP-TotalPages", "0"))
            except ValueError:
                pages = 0
            if not data or page >= pages:
                return
            page += 1

    # -- connection and reading ------------------------------------------------------------
    def test_connection(self) -> str:
        _data, answer = self._call("GET", "/products", "listing products", params={"per_page": 1})
        total = as_int(answer.headers.get("X-WP-Total", ""))
        return (
            f"Connected to {self.cart.name} (WooCommerce REST v3, "
            f"{'?' if total is None else total} products)"
        )

    def _remember(self, record: dict[str, Any], parent: int | None) -> CartQoh | None:
        sku = str(record.get("sku") or "").strip()
        ident = as_int(record.get("id"))
        if not sku or ident is None:
            return None
        qoh = _stock(record)
        self._refs[sku] = _Ref(ident, parent, qoh is not None)
        return CartQoh(sku, qoh)

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        params = {"per_page": PER_PAGE, "orderby": "id", "order": "asc", "_fields": STOCK_FIELDS}
        for products in self._list("/products", "listing products", params):
            page: list[CartQoh] = []
            for product in products:
                pid = as_int(product.get("id"))
                if pid is not None and (
                    product.get("type") == "variable" or product.get("variations")
                ):
                    for variations in self._list(
                        f"/products/{pid}/variations", f"listing variations of {pid}", params
                    ):
                        page.extend(
                            q for v in variations if (q := self._remember(v, pid)) is not None
                        )
                else:
                    found = self._remember(product, None)
                    if found is not None:
                        page.append(found)
            if page:
                yield page
        self._scanned = True

    def _by_sku(self, skus: Sequence[str]) -> dict[str, int | None]:
        """Simple products by ``?sku=a,b`` (fresh stock); fills the id map."""
        found: dict[str, int | None] = {}
        for chunk in _sku_chunks(skus):
            wanted = set(chunk)
            params = {"sku": ",".join(chunk), "per_page": PER_PAGE, "_fields": STOCK_FIELDS}
            for products in self._list("/products", "finding products by SKU", params):
                for product in products:
                    if product.get("type") == "variable":
                        continue
                    hit = self._remember(product, None)
                    if hit is not None and hit.sku in wanted:
                        found[hit.sku] = hit.qoh
        return found

    def _resolve(self, skus: Sequence[str]) -> dict[str, _Ref]:
        missing = [s for s in dict.fromkeys(skus) if s not in self._refs]
        if missing:
            self._by_sku(missing)
        missing = [s for s in missing if s not in self._refs]
        if missing and not self._scanned:
            # Variations cannot be searched by SKU through /products: list everything once.
            for _page in self.iter_qoh():
                pass
        return {s: self._refs[s] for s in skus if s in self._refs}

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        refs = self._resolve(skus)
        simple = [s for s, r in refs.items() if r.parent is None]
        found = self._by_sku(simple) if simple else {}
        for sku, ref in refs.items():
            if ref.parent is not None:
                data, _ = self._call(
                    "GET",
                    f"/products/{ref.parent}/variations/{ref.id}",
                    f"reading variation {sku}",
                    params={"_fields": STOCK_FIELDS},
                )
                found[sku] = _stock(data) if isinstance(data, dict) else None
        return found

    # -- Send QOH --------------------------------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        if len(items) > min(self.max_batch, BATCH_LIMIT):
            raise ValueError(f"at most {self.max_batch} items per call, not {len(items)}")
        results: dict[int, ItemResult] = {}
        refs = self._resolve([i.sku for i in items])
        groups: dict[int | None, list[tuple[int, QohSet, _Ref]]] = {}
        seen: set[tuple[int | None, int]] = set()
        for n, item in enumerate(items):
            ref = refs.get(item.sku)
            if ref is None:
                results[n] = ItemResult(item.sku, ItemStatus.NOT_FOUND, "no product has this SKU")
            elif not ref.tracked:
                results[n] = ItemResult(
                    item.sku, ItemStatus.NOT_TRACKED, "WooCommerce does not manage its stock"
                )
            elif (ref.parent, ref.id) in seen:
                results[n] = ItemResult(
                    item.sku, ItemStatus.ERROR, "the SKU is twice in this batch"
                )
            else:
                seen.add((ref.parent, ref.id))
                groups.setdefault(ref.parent, []).append((n, item, ref))
        first = True
        ordered = sorted(groups.items(), key=lambda g: (g[0] is not None, g[0] or 0))
        for index, (parent, entries) in enumerate(ordered):
            try:
                results.update(self._batch(parent, entries))
            except CartError as exc:
                if first:
                    raise
                for _parent, rest in ordered[index:]:
                    for n, item, _ref in rest:
                        results[n] = ItemResult(
                            item.sku,
                            ItemStatus.ERROR,
                            str(exc),
                            transient=exc.transient,
                            applied_unknown=exc.applied_unknown,
                        )
                break
            first = False
        return [results[n] for n in range(len(items))]

    def _batch(
        self, parent: int | None, entries: list[tuple[int, QohSet, _Ref]]
    ) -> dict[int, ItemResult]:
        path = "/products/batch" if parent is None else f"/products/{parent}/variations/batch"
        body = {
            "update": [{"id": ref.id, "stock_quantity": item.quantity} for _, item, ref in entries]
        }
        what = f"stock of {len(entries)} {'products' if parent is None else 'variations'}"
        data, _answer = self._call("POST", path, what, body=body, mutating=True)
        updates = data.get("update") if isinstance(data, dict) else None
        if not isinstance(updates, list):
            raise self.http.error(
                f"{what}: unexpected answer from WooCommerce (the changes may have been applied)",
                transient=True,
                applied_unknown=True,
            )
        by_id: dict[int, Any] | None = None  # built only if the answer is not in request order
        results: dict[int, ItemResult] = {}
        for position, (n, item, ref) in enumerate(entries):
            record = updates[position] if position < len(updates) else None
            if not isinstance(record, dict) or record.get("id") not in (ref.id, str(ref.id)):
                if by_id is None:
                    by_id = {
                        ident: u
                        for u in updates
                        if isinstance(u, dict) and (ident := as_int(u.get("id"))) is not None
                    }
                record = by_id.get(ref.id)
            results[n] = self._item_result(item, record)
        return results

    def _item_result(self, item: QohSet, record: dict[str, Any] | None) -> ItemResult:
        if record is None:
            return ItemResult(
                item.sku,
                ItemStatus.ERROR,
                "WooCommerce did not answer for this item",
                transient=True,
                applied_unknown=True,
            )
        error = record.get("error")
        if isinstance(error, dict):
            code = self.http.clean(error.get("code") or "", 100)
            message = self.http.snippet(str(error.get("message") or code))
            if code in _NOT_FOUND_CODES:
                self._refs.pop(item.sku, None)
                return ItemResult(item.sku, ItemStatus.NOT_FOUND, message, code=code)
            return ItemResult(item.sku, ItemStatus.ERROR, message, code=code)
        qoh = _stock(record)
        if qoh is None:
            return ItemResult(
                item.sku, ItemStatus.NOT_TRACKED, "WooCommerce does not manage its stock"
            )
        if qoh != item.quantity:
            return ItemResult(
                item.sku,
                ItemStatus.ERROR,
                f"WooCommerce kept {qoh} instead of {item.quantity}",
                cart_qoh=qoh,
            )
        return ItemResult(item.sku, ItemStatus.OK, cart_qoh=qoh)

    # -- orders ----------------------------------------------------------------------------
    def new_orders(self, after: str | None, batch: int) -> list[CartOrder]:
        """Orders numbered after ``after``: listed from just before its creation date, oldest
        first (``GET /orders`` has no "id greater than" filter)."""
        params: dict[str, Any] = {
            "per_page": max(1, min(PER_PAGE, batch)),
            "orderby": "id",
            "order": "asc",
            "dates_are_gmt": "true",
        }
        last: int | None = None
        if after:
            data, _ = self._call("GET", f"/orders/{after}", f"reading order {after}")
            stamp = str(as_dict(data).get("date_created_gmt") or "")
            try:
                created = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                params["after"] = (
                    (created - dt.timedelta(seconds=1)).replace(tzinfo=None).isoformat()
                )
            except (ValueError, OverflowError):
                raise self.http.error(
                    f"order {after} has no readable creation date", transient=False
                ) from None
            last = int(after) if after.isdigit() else None
        orders: list[CartOrder] = []
        for page in self._list("/orders", "listing orders", params):
            for order in page:
                number = str(order.get("number") or order.get("id") or "")
                if last is not None and number.isdigit() and int(number) <= last:
                    continue
                if after and number == after:
                    continue
                lines = tuple(
                    CartOrderLine(str(li.get("sku") or ""), as_int(li.get("quantity")) or 0)
                    for li in as_list(order.get("line_items"))
                    if isinstance(li, dict)
                )
                orders.append(CartOrder(number, lines))
                if len(orders) >= batch:
                    return orders
        return orders
