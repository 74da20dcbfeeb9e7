"""The sandbox cart's own data: its catalogue (SKU -> QOH) and its web orders.

The catalogue keeps SKUs in creation order with a stable sequence number each; every
platform derives its ids from that number (Stone Edge ``WebID``, Shopify gids, WooCommerce
post ids), so ids survive a restart of a file-backed sandbox. ``qoh`` is ``None`` for a
product whose stock the cart does not track.

All reads and writes go through one re-entrant lock (:attr:`Catalogue.lock`); platform
modules hold it while they validate and then apply a whole request, so a request is atomic
with respect to web sales and other requests. Lookups are dict-based and paging is by
position (bisect on the sequence numbers), so nothing costs O(catalogue) per item.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CatalogSource = str | Path | Mapping[str, int | None] | Iterable[tuple[str, int | None]] | None

DEFAULT_CATALOG: dict[str, int | None] = {
    **{f"SAMPLE-{n:03d}": 25 for n in range(1, 9)},
    "SAMPLE-009": 0,
    "SAMPLE-010": None,
}


@dataclass
class Item:
    """One SKU of the cart."""

    sku: str
    qoh: int | None
    seq: int


@dataclass
class OrderLine:
    sku: str
    qty: int
    seq: int  # the catalogue sequence number of the SKU at the time of the sale


@dataclass
class Order:
    """A web sale, waiting to be imported by the back office."""

    number: int
    created_at: dt.datetime  # UTC, whole seconds
    lines: list[OrderLine] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "created_at": self.created_at.isoformat(),
            "lines": [[ln.sku, ln.qty, ln.seq] for ln in self.lines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Order:
        created = dt.datetime.fromisoformat(str(data["created_at"]))
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        lines = [OrderLine(str(s), int(q), int(n)) for s, q, n in data["lines"]]
        return cls(int(data["number"]), created, lines)


def parse_qoh(raw: str | None, *, where: str) -> int | None:
    """Parse a QOH cell: empty means untracked, otherwise an integer."""
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{where}: qoh {raw!r} is not an integer") from None


def load_catalog_csv(path: str | Path) -> list[tuple[str, int | None]]:
    """Read a catalogue CSV with columns ``sku,qoh`` (empty qoh = untracked)."""
    rows: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "sku" not in header or "qoh" not in header:
            raise ValueError(f"{path}: the catalogue CSV needs the columns sku,qoh")
        reader.fieldnames = header
        for lineno, row in enumerate(reader, start=2):
            sku = (row.get("sku") or "").strip()
            if not sku:
                raise ValueError(f"{path}:{lineno}: empty sku")
            if sku in seen:
                raise ValueError(f"{path}:{lineno}: duplicate sku {sku!r}")
            seen.add(sku)
            rows.append((sku, parse_qoh(row.get("qoh"), where=f"{path}:{lineno}")))
    return rows


def catalog_rows(source: CatalogSource) -> list[tuple[str, int | None]]:
    """Normalise any accepted catalogue source into ``[(sku, qoh_or_None), ...]``."""
    if source is None:
        return list(DEFAULT_CATALOG.items())
    if isinstance(source, str | Path):
        return load_catalog_csv(source)
    pairs = source.items() if isinstance(source, Mapping) else source
    rows: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for sku, qoh in pairs:
        if not isinstance(sku, str) or not sku:
            raise ValueError(f"catalogue: invalid sku {sku!r}")
        if sku in seen:
            raise ValueError(f"catalogue: duplicate sku {sku!r}")
        if qoh is not None and (isinstance(qoh, bool) or not isinstance(qoh, int)):
            raise ValueError(f"catalogue: qoh of {sku!r} must be an int or None")
        seen.add(sku)
        rows.append((sku, qoh))
    return rows


class Catalogue:
    """Thread-safe SKU -> QOH store with stable sequence numbers and the cart's orders."""

    def __init__(self, rows: Iterable[tuple[str, int | None]] = ()) -> None:
        self.lock = threading.RLock()
        self._items: dict[str, Item] = {}
        self._by_seq: dict[int, Item] = {}
        self._seqs: list[int] = []  # ascending, parallel to creation order
        self._next_seq = 1
        self.orders: list[Order] = []
        self._next_order = 1001
        self.version = 0  # bumped on every change, for persistence
        for sku, qoh in rows:
            self.add(sku, qoh)

    # -- reads ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, sku: object) -> bool:
        return sku in self._items

    def get(self, sku: str) -> Item | None:
        return self._items.get(sku)

    def by_seq(self, seq: int) -> Item | None:
        return self._by_seq.get(seq)

    def page(self, offset: int, limit: int) -> list[Item]:
        """Items at positions ``offset .. offset+limit-1`` in creation order."""
        with self.lock:
            seqs = self._seqs[max(offset, 0) : max(offset, 0) + max(limit, 0)]
            return [self._by_seq[s] for s in seqs]

    def position_after(self, seq: int) -> int:
        """Position of the first item whose sequence number is greater than ``seq``."""
        with self.lock:
            return bisect.bisect_right(self._seqs, seq)

    def __iter__(self) -> Iterator[Item]:
        with self.lock:
            return iter([self._by_seq[s] for s in self._seqs])

    def snapshot(self) -> dict[str, int | None]:
        """``{sku: qoh}`` of the whole catalogue (untracked = None)."""
        with self.lock:
            return {self._by_seq[s].sku: self._by_seq[s].qoh for s in self._seqs}

    # -- writes --------------------------------------------------------------------------
    def add(self, sku: str, qoh: int | None, seq: int | None = None) -> Item:
        with self.lock:
            if sku in self._items:
                raise ValueError(f"duplicate sku {sku!r}")
            if seq is None:
                seq = self._next_seq
            if self._seqs and seq <= self._seqs[-1]:
                raise ValueError(f"sequence numbers must ascend (sku {sku!r})")
            item = Item(sku, qoh, seq)
            self._items[sku] = item
            self._by_seq[seq] = item
            self._seqs.append(seq)
            self._next_seq = max(self._next_seq, seq + 1)
            self.version += 1
            return item

    def remove(self, sku: str) -> Item | None:
        """Delete a SKU (rare: WooCommerce batch delete). O(n), which is fine for that."""
        with self.lock:
            item = self._items.pop(sku, None)
            if item is not None:
                del self._by_seq[item.seq]
                self._seqs.pop(bisect.bisect_left(self._seqs, item.seq))
                self.version += 1
            return item

    def set_qoh(self, item: Item, qoh: int | None) -> None:
        with self.lock:
            item.qoh = qoh
            self.version += 1

    def place_order(self, lines: list[tuple[str, int]], now: dt.datetime) -> Order:
        """Record a web sale: lower the QOH of each tracked SKU and create an order.

        All SKUs are checked first; on an unknown SKU nothing is applied (KeyError).
        """
        with self.lock:
            for sku, _qty in lines:
                if sku not in self._items:
                    raise KeyError(sku)
            order = Order(self._next_order, now.replace(microsecond=0))
            for sku, qty in lines:
                item = self._items[sku]
                if item.qoh is not None:
                    item.qoh -= qty
                order.lines.append(OrderLine(sku, qty, item.seq))
            self._next_order += 1
            self.orders.append(order)
            self.version += 1
            return order

    # -- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "items": [[i.sku, i.qoh, i.seq] for i in (self._by_seq[s] for s in self._seqs)],
                "next_seq": self._next_seq,
                "orders": [o.to_json() for o in self.orders],
                "next_order": self._next_order,
            }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catalogue:
        cat = cls()
        for sku, qoh, seq in data.get("items", []):
            cat.add(str(sku), None if qoh is None else int(qoh), int(seq))
        cat._next_seq = max(cat._next_seq, int(data.get("next_seq", 1)))
        cat.orders = [Order.from_json(o) for o in data.get("orders", [])]
        cat._next_order = int(data.get("next_order", 1001))
        cat.version = 0
        return cat
