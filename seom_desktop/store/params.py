"""System parameters, declared once.

Each parameter is declared here with its group, type, default and description; the CLI,
the System Parameters screen and the domain read these declarations and nothing else.
Values are stored as text in ``system_parameters``; a missing row means the default.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from seom_desktop.errors import InputError, NotFoundError
from seom_desktop.store.models import SystemParameter


class ParamType(StrEnum):
    BOOL = "bool"
    INT = "int"
    TEXT = "text"
    LIST = "list"


_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


@dataclass(frozen=True)
class Param:
    name: str
    group: str
    type: ParamType
    default: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None

    def parse(self, raw: object) -> Any:
        """Turn what a user typed (or a Python value) into this parameter's value."""
        if self.type is ParamType.BOOL:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise InputError(f"{self.name} takes TRUE or FALSE, not {str(raw)!r}")
        if self.type is ParamType.INT:
            if isinstance(raw, bool):
                raise InputError(f"{self.name} takes a whole number, not {raw!r}")
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise InputError(f"{self.name} takes a whole number, not {str(raw)!r}") from None
            if self.minimum is not None and value < self.minimum:
                raise InputError(f"{self.name} must be at least {self.minimum}, not {value}")
            if self.maximum is not None and value > self.maximum:
                raise InputError(f"{self.name} must be at most {self.maximum}, not {value}")
            return value
        if self.type is ParamType.LIST:
            if isinstance(raw, list | tuple):
                items = [str(item).strip() for item in raw]
            else:
                items = [part.strip() for part in str(raw).split(";")]
            items = [item for item in items if item]
            if len(set(map(str.casefold, items))) != len(items):
                raise InputError(f"{self.name} lists the same entry twice")
            return items
        return str(raw).strip()

    def dump(self, value: Any) -> str:
        """Storage form of a parsed value."""
        if self.type is ParamType.BOOL:
            return "TRUE" if value else "FALSE"
        if self.type is ParamType.LIST:
            return json.dumps(list(value))
        return str(value)

    def load(self, stored: str) -> Any:
        if self.type is ParamType.LIST:
            return list(json.loads(stored))
        return self.parse(stored)

    def display(self, value: Any) -> str:
        """How the value reads on a screen or a terminal (and how it is typed back)."""
        if self.type is ParamType.LIST:
            return "; ".join(value)
        return self.dump(value)


PARAMETERS: tuple[Param, ...] = (
    Param(
        "SynchQOH",
        "Program",
        ParamType.BOOL,
        False,
        "Synchronize quantity on hand with the shopping carts in real time. When TRUE, every "
        "QOH change is placed on the web stack for each cart whose Synchronize Inventory box "
        "is ticked.",
    ),
    Param(
        "QOHReason",
        "Inventory",
        ParamType.LIST,
        [
            "Physical count",
            "Received without PO",
            "Damaged",
            "Returned by customer",
            "Lost or stolen",
            "Other",
        ],
        "Reasons a clerk can give on the Adjust Inventory screen (separate entries with ;).",
    ),
    Param(
        "StackMaxAttempts",
        "Stack Controller",
        ParamType.INT,
        10,
        "How many times the stack controller tries to send a web-stack record before it "
        "bypasses it (the record stays visible in the Stack Controller).",
        minimum=1,
        maximum=1000,
    ),
    Param(
        "SharedStackController",
        "Stack Controller",
        ParamType.BOOL,
        False,
        "FALSE: each workstation sends the changes made on it (local stack). TRUE: one "
        "workstation, the shared stack controller, sends the changes of every workstation.",
    ),
    Param(
        "StackControllerWorkstation",
        "Stack Controller",
        ParamType.TEXT,
        "",
        "With a shared stack controller: the name of the workstation that must send. Empty: "
        "the first workstation to launch becomes the controller and another takes over if it "
        "stops.",
    ),
    Param(
        "StackFailoverSeconds",
        "Stack Controller",
        ParamType.INT,
        30,
        "With an elected shared stack controller: seconds without a heartbeat after which "
        "another running workstation takes over.",
        minimum=2,
        maximum=3600,
    ),
    Param(
        "GenericQOHChangeSendAsXML",
        "Generic Cart",
        ParamType.BOOL,
        False,
        "Send QOH to Stone Edge generic cart scripts as XML instead of the pipe-separated form.",
    ),
)

_BY_KEY = {param.name.casefold(): param for param in PARAMETERS}


def groups() -> list[str]:
    seen: dict[str, None] = {}
    for param in PARAMETERS:
        seen.setdefault(param.group)
    return list(seen)


def declaration(name: str) -> Param:
    """The declared parameter called ``name`` (case does not matter)."""
    param = _BY_KEY.get(name.strip().casefold())
    if param is None:
        close = difflib.get_close_matches(name, [p.name for p in PARAMETERS], n=1)
        hint = f"; did you mean {close[0]}?" if close else "; `param list` shows them all"
        raise NotFoundError(f"there is no system parameter called {name!r}{hint}")
    return param


_CACHE = "seom_params"


def _cache(session: Session) -> dict[str, Any]:
    """Values read in this session's transaction. Sessions live for one transaction here
    (Store.read()/write()), so a value is never older than the transaction reading it; the
    identity map alone would not remember a parameter that has no row (the default)."""
    cache: dict[str, Any] = session.info.setdefault(_CACHE, {})
    return cache


def get(session: Session, name: str) -> Any:
    param = declaration(name)
    cache = _cache(session)
    if param.name not in cache:
        stored = session.get(SystemParameter, param.name)
        cache[param.name] = param.default if stored is None else param.load(stored.value)
    value = cache[param.name]
    return list(value) if isinstance(value, list) else value


def get_many(session: Session, names: Sequence[str]) -> dict[str, Any]:
    params = [declaration(name) for name in names]
    rows = session.scalars(
        select(SystemParameter).where(SystemParameter.name.in_([p.name for p in params]))
    )
    stored = {row.name: row.value for row in rows}
    return {p.name: (p.load(stored[p.name]) if p.name in stored else p.default) for p in params}


def set_value(session: Session, name: str, raw: object) -> Any:
    """Validate and store a parameter; returns the parsed value."""
    param = declaration(name)
    value = param.parse(raw)
    row = session.get(SystemParameter, param.name)
    if row is None:
        session.add(SystemParameter(name=param.name, value=param.dump(value)))
    else:
        row.value = param.dump(value)
    session.flush()
    _cache(session)[param.name] = value
    return value
