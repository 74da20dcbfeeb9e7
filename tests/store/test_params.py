"""System parameters: declared once, validated, stored as text."""

from __future__ import annotations

import pytest

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.store import Store, params


def test_every_parameter_is_declared_once_with_a_valid_default() -> None:
    names = [p.name.casefold() for p in params.PARAMETERS]
    assert len(names) == len(set(names))
    for p in params.PARAMETERS:
        assert p.parse(p.default) == p.default
        assert p.description


def test_the_documented_defaults(store: Store) -> None:
    with store.read() as session:
        assert params.get(session, "SynchQOH") is False
        assert params.get(session, "StackMaxAttempts") == 10
        assert params.get(session, "SharedStackController") is False
        assert params.get(session, "StackControllerWorkstation") == ""
        assert "Physical count" in params.get(session, "QOHReason")
    assert params.declaration("SynchQOH").group == "Program"


def test_values_round_trip_through_the_store(store: Store) -> None:
    with store.write() as session:
        params.set_value(session, "synchqoh", "TRUE")
        params.set_value(session, "StackMaxAttempts", "25")
        params.set_value(session, "QOHReason", "Count; Breakage ;Gift")
    with store.read() as session:
        values = params.get_many(session, ["SynchQOH", "StackMaxAttempts", "QOHReason"])
    assert values == {
        "SynchQOH": True,
        "StackMaxAttempts": 25,
        "QOHReason": ["Count", "Breakage", "Gift"],
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SynchQOH", "maybe", "TRUE or FALSE"),
        ("StackMaxAttempts", "ten", "whole number"),
        ("StackMaxAttempts", "0", "at least 1"),
        ("QOHReason", "a;A", "same entry twice"),
    ],
)
def test_wrongly_typed_values_are_refused(
    store: Store, name: str, value: str, message: str
) -> None:
    with pytest.raises(InputError, match=message), store.write() as session:
        params.set_value(session, name, value)
    with store.read() as session:
        assert params.get(session, name) == params.declaration(name).default


def test_an_unknown_name_suggests_the_nearest() -> None:
    with pytest.raises(NotFoundError, match="did you mean SynchQOH"):
        params.declaration("SyncQOH")
    with pytest.raises(NotFoundError, match="param list"):
        params.declaration("Colour")
