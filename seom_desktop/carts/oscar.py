"""django-oscar with django-oscar-api (``cart-protocols.md`` section 7).

The contract (pinned by ``tests/carts/test_oscar_site.py`` against a real shop):

* ``GET /api/admin/products/`` (a staff user, HTTP Basic) lists every product with its stock
  records nested (``partner_sku``, ``num_in_stock``, ``num_allocated``, ``url``); a nested
  record has no ``id`` field, its id is the last part of its ``url``. The list is one JSON
  array unless the site turned DRF pagination on; then it is ``{count, next, previous,
  results}`` pages, followed through ``next``.
* ``PATCH /api/admin/stockrecords/{id}/ {"num_in_stock": N}`` sets the stock (absolute; there
  is no batch and no delta endpoint, hence max_batch 1 in the capability table). 404: the
  record is gone; 400: the value was refused.
* Untracked stock: the product class has ``track_stock`` false and the record's
  ``num_in_stock`` is null; such items are NOT_TRACKED and never written.

Quantities: Oscar sells ``num_in_stock - num_allocated``. ``num_allocated`` counts units of
orders placed but not yet shipped; shipping lowers both numbers together. SEOM lowers its QOH
when it imports an order, so the store's QOH is Oscar's *available* quantity: Get QOH reads
``num_in_stock - num_allocated`` and Send QOH writes ``num_in_stock = QOH + num_allocated``
(setting ``num_in_stock`` alone would count every unshipped order twice). The allocation is
the one in the list read before the batch; the PATCH answer carries the current allocation
and, if it changed meanwhile, the record is written again with the corrected figure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from seom_desktop.carts.base import (
    CartError,
    CartQoh,
    ItemResult,
    ItemStatus,
    QohSet,
    stopped_at,
)
from seom_desktop.carts.http import HttpConnector, as_int, as_list
from seom_desktop.store.carts import CartInfo

_RECORD_ID = re.compile(r"/stockrecords/(\d+)/?$")


@dataclass(frozen=True)
class _Record:
    id: int
    num_in_stock: int | None
    num_allocated: int

    @property
    def available(self) -> int | None:
        if self.num_in_stock is None:
            return None
        return self.num_in_stock - self.num_allocated


class OscarConnector(HttpConnector):
    """A django-oscar shop through django-oscar-api's admin endpoints."""

    platform = "oscar"

    def __init__(self, cart: CartInfo, **kwargs: Any) -> None:
        super().__init__(cart, **kwargs)
        base = cart.url.rstrip("/")
        if base.endswith("/api"):
            base = base[: -len("/api")]
        self.api = base + "/api/"
        self._records: dict[str, _Record] = {}
        self._loaded = False

    def _call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        body: Any = None,
        mutating: bool = False,
        accept: tuple[int, ...] = (),
    ) -> tuple[int, Any]:
        answer = self.http.request(
            method,
            url,
            json_body=body,
            auth=(self.cart.username, self.cart.secret),
            headers={"Accept": "application/json"},
            mutating=mutating,
            what=what,
            accept=accept,
        )
        return answer.status, self.http.json(answer, what, mutating=mutating)

    # -- reading ---------------------------------------------------------------------------
    def test_connection(self) -> str:
        _status, classes = self._call("GET", self.api + "admin/productclasses/", "product classes")
        count: int | str = "?"
        if isinstance(classes, dict):
            stated = as_int(classes.get("count"))
            count = stated if stated is not None else len(as_list(classes.get("results")))
        elif isinstance(classes, list):
            count = len(classes)
        return f"Connected to {self.cart.name} (django-oscar-api, {count} product classes)"

    def _pages(self) -> Iterator[list[dict[str, Any]]]:
        """``/api/admin/products/``: one array, or DRF pages followed through ``next``."""
        url: str | None = self.api + "admin/products/"
        pages = 0
        while url is not None:
            pages += 1
            _status, data = self._call("GET", url, f"listing products (page {pages})")
            if isinstance(data, list):
                yield [p for p in data if isinstance(p, dict)]
                return
            if not isinstance(data, dict) or not isinstance(data.get("results"), list):
                raise self.http.error("listing products: unexpected answer", transient=True)
            yield [p for p in data["results"] if isinstance(p, dict)]
            following = data.get("next")
            url = self._next_page(url, following) if following else None

    def _next_page(self, url: str, following: Any) -> str:
        """DRF's ``next`` link, which must stay on the shop: the request carries our Basic
        credentials, and a hostile answer must not send them to another host."""
        if not isinstance(following, str):
            raise self.http.error("listing products: unexpected answer (next)", transient=True)
        target = urljoin(url, following)
        here, there = urlsplit(self.api), urlsplit(target)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise self.http.error(
                f"listing products: the next page is on another site ({there.netloc}); "
                "not followed",
                transient=False,
            )
        return target

    def _remember(self, product: dict[str, Any]) -> list[CartQoh]:
        found: list[CartQoh] = []
        for record in as_list(product.get("stockrecords")):
            if not isinstance(record, dict):
                continue
            sku = str(record.get("partner_sku") or product.get("upc") or "").strip()
            match = _RECORD_ID.search(str(record.get("url") or ""))
            if not sku or match is None:
                continue
            ident = as_int(match.group(1))
            stock = as_int(record.get("num_in_stock"))
            if ident is None or (stock is None and record.get("num_in_stock") is not None):
                self.log.warning(
                    "%s: %s has an unreadable stock record; skipped", self.cart.name, sku
                )
                continue
            entry = _Record(ident, stock, as_int(record.get("num_allocated")) or 0)
            if sku in self._records and self._records[sku].id != entry.id:
                self.log.warning(
                    "%s: SKU %s has several stock records; using the first", self.cart.name, sku
                )
                continue
            self._records[sku] = entry
            found.append(CartQoh(sku, entry.available))
        return found

    def iter_qoh(self) -> Iterator[list[CartQoh]]:
        self._records.clear()
        for products in self._pages():
            page = [q for product in products for q in self._remember(product)]
            if page:
                yield page
        self._loaded = True

    def read_qoh(self, skus: Sequence[str]) -> dict[str, int | None]:
        wanted = set(skus)
        found: dict[str, int | None] = {}
        for page in self.iter_qoh():
            found.update((q.sku, q.qoh) for q in page if q.sku in wanted)
        return found

    # -- Send QOH --------------------------------------------------------------------------
    def set_qoh(self, items: Sequence[QohSet]) -> list[ItemResult]:
        """One PATCH per stock record. If the first request fails as a whole the CartError is
        raised; after that a failure ends the call with per-item results."""
        if not self._loaded:
            for _page in self.iter_qoh():
                pass
        results: list[ItemResult] = []
        for n, item in enumerate(items):
            try:
                results.append(self._set_one(item))
            except CartError as exc:
                if n == 0:
                    raise
                results.extend(stopped_at(exc, item.sku, [r.sku for r in items[n + 1 :]]))
                break
        return results

    def _set_one(self, item: QohSet) -> ItemResult:
        record = self._records.get(item.sku)
        if record is None:
            return ItemResult(item.sku, ItemStatus.NOT_FOUND, "no stock record has this SKU")
        if record.num_in_stock is None:
            return ItemResult(
                item.sku, ItemStatus.NOT_TRACKED, "Oscar does not track this product's stock"
            )
        allocated = record.num_allocated
        for _attempt in range(2):
            status, body = self._call(
                "PATCH",
                f"{self.api}admin/stockrecords/{record.id}/",
                f"stock of {item.sku}",
                body={"num_in_stock": item.quantity + allocated},
                mutating=True,
                accept=(400, 404),
            )
            if status == 404:
                self._records.pop(item.sku, None)
                return ItemResult(
                    item.sku, ItemStatus.NOT_FOUND, "the stock record is gone", code="404"
                )
            if status == 400:
                detail = body.get("num_in_stock") if isinstance(body, dict) else body
                return ItemResult(
                    item.sku,
                    ItemStatus.ERROR,
                    f"Oscar refused {item.quantity + allocated}: {self.http.snippet(str(detail))}",
                    code="400",
                )
            now_allocated = as_int(body.get("num_allocated")) or 0 if isinstance(body, dict) else 0
            stock = as_int(body.get("num_in_stock")) if isinstance(body, dict) else None
            if now_allocated == allocated or stock is None:
                break
            allocated = now_allocated  # an order came in meanwhile: write the right figure
        self._records[item.sku] = _Record(record.id, stock, now_allocated)
        if stock is None:
            return ItemResult(
                item.sku, ItemStatus.NOT_TRACKED, "Oscar does not track this product's stock"
            )
        return ItemResult(item.sku, ItemStatus.OK, cart_qoh=stock - now_allocated)
