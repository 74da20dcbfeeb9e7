"""Reading quantities typed by a clerk: whole numbers only, with a clear message otherwise."""

from __future__ import annotations

from seom_desktop.errors import InputError
from seom_desktop.inventory.changes import MAX_QUANTITY


def parse_quantity(text: object, what: str = "quantity", *, allow_negative: bool = False) -> int:
    """``text`` as a whole number of units; refuses fractions, words and (unless allowed)
    negative numbers, naming ``what`` in the message."""
    if isinstance(text, bool):
        raise InputError(f"{what} must be a whole number, not {text!r}")
    if isinstance(text, int):
        value = text
    else:
        raw = str(text).strip().replace(",", "") if text is not None else ""
        if not raw:
            raise InputError(f"{what} is empty; type a whole number")
        try:
            value = int(raw, 10)
        except ValueError:
            raise InputError(
                f"{what} must be a whole number of units, not {str(text).strip()!r}"
            ) from None
    if value < 0 and not allow_negative:
        raise InputError(f"{what} cannot be negative ({value})")
    if abs(value) > MAX_QUANTITY:
        raise InputError(f"{what} {value} is larger than any quantity SEOM Desktop accepts")
    return value
