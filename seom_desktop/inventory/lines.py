"""``SKU:QTY`` lines, as typed on the command line and in the order, POS, PO and kit screens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seom_desktop.errors import InputError
from seom_desktop.inventory.products import clean_sku
from seom_desktop.inventory.quantities import parse_quantity


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


def parse_line(text: str) -> Line:
    """``SKU:QTY`` (the last colon splits, so a SKU may contain colons) with QTY a positive
    whole number; ``SKU`` alone means one."""
    raw = text.strip()
    sku_part, colon, qty_part = raw.rpartition(":")
    if not colon:
        sku_part, qty_part = raw, "1"
    sku = clean_sku(sku_part)
    quantity = parse_quantity(qty_part, f"the quantity of {sku}")
    if quantity == 0:
        raise InputError(f"the quantity of {sku} must be at least 1 (got {text.strip()!r})")
    return Line(sku, quantity)


def parse_lines(texts: Iterable[str], what: str = "an order") -> list[Line]:
    """Every line parsed; the same SKU twice is one line with the quantities added."""
    merged: dict[str, int] = {}
    for text in texts:
        line = parse_line(text)
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    if not merged:
        raise InputError(f"{what} needs at least one SKU:QTY line")
    return [Line(sku, quantity) for sku, quantity in merged.items()]


def lines_text(lines: Iterable[Line]) -> str:
    """An order's lines as clerks read them: ``A1 x2, B2 x1``."""
    return ", ".join(f"{line.sku} x{line.quantity}" for line in lines)


def components_text(lines: Iterable[Line]) -> str:
    """A kit's components as clerks read them: ``2 x A1, 1 x B2``."""
    return ", ".join(f"{line.quantity} x {line.sku}" for line in lines)
