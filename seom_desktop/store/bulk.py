"""Many rows at once, straight through the driver's ``executemany``.

For bulk work (a Get QOH page of a thousand products) SQLAlchemy's per-row parameter
processing cost more than the database itself: 100,000 ledger rows took about 3 s of Python
in ``construct_params`` against 0.4 s in SQLite. These helpers hand plain tuples to the
driver instead, in the caller's transaction. Only the values that need it are converted, once
(:func:`driver_value`), so a column's stored format stays the one SQLAlchemy writes elsewhere.

:func:`one_of` is ``column IN (many values)`` as ONE bound parameter (SQLite ``json_each``,
PostgreSQL ``= ANY``): an expanding ``IN`` is re-rendered with a placeholder per value at
every execution, which cost 1.2 s of Python per 100,000 SKUs looked up.

Ids are reserved first (:func:`reserve_ids`) rather than read back with ``RETURNING``: the
caller then knows which id it gave to which row without relying on the order of returned rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Integer, NullType, String, Text, TypeDecorator, TypeEngine


class ValueList(TypeDecorator[list[Any]]):
    """The type of :func:`one_of`'s parameter: a list of strings or of integers, sent as a
    JSON array to SQLite and as an array to PostgreSQL."""

    impl = Text
    cache_ok = True

    def __init__(self, item: type[String] | type[Integer] = String) -> None:
        super().__init__()
        self.item = item

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.item()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


class one_of(FunctionElement[Any]):
    """``one_of(column, bindparam("name", type_=ValueList()))``: true when the column's value
    is one of the parameter's list (see the module docstring)."""

    # No Boolean type: SQLite would render "... = 1" after it, which defeats the index.
    type = NullType()
    inherit_cache = True
    name = "one_of"


@compiles(one_of, "sqlite")
def _one_of_sqlite(element: one_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    return (
        f"{compiler.process(column, **kw)} IN "
        f"(SELECT value FROM json_each({compiler.process(values, **kw)}))"
    )


@compiles(one_of, "postgresql")
def _one_of_postgresql(element: one_of, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = list(element.clauses)
    return f"{compiler.process(column, **kw)} = ANY({compiler.process(values, **kw)})"


def _dialect(session: Session) -> Any:
    return session.get_bind().dialect


def driver_value(session: Session, column: Column[Any], value: Any) -> Any:
    """``value`` as the driver must receive it for ``column`` (its type's bind processor: on
    SQLite a ``DateTime`` is written as text in SQLAlchemy's own format)."""
    dialect = _dialect(session)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` new primary-key values for ``table``, for rows written in this transaction.

    PostgreSQL: taken from the column's sequence, as an INSERT would (they may not be
    consecutive when others insert meanwhile). SQLite: the ids after the largest, which is
    what SQLite itself would choose; nobody else can take them because a write transaction
    holds the database's only write lock (``BEGIN IMMEDIATE``; a deferred transaction that
    read first cannot commit over another writer either)."""
    if count <= 0:
        return []
    if _dialect(session).name == "postgresql":
        return list(
            session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": count},
            ).scalars()
        )
    last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def _marks(session: Session, count: int) -> str:
    mark = "?" if _dialect(session).paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def insert_many(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT ``rows`` (tuples in the order of ``columns``, driver-ready values) into
    ``table`` with one ``executemany``."""
    if not rows:
        return
    preparer = _dialect(session).identifier_preparer
    # table.c[...]: a KeyError for a misspelt column, before any SQL
    names = ", ".join(preparer.quote(table.c[name].name) for name in columns)
    sql = (
        f"INSERT INTO {preparer.format_table(table)} ({names}) "
        f"VALUES ({_marks(session, len(columns))})"
    )
    session.connection().exec_driver_sql(sql, list(rows))


def add_to_column(
    session: Session, table: Table, column: str, by_id: Sequence[tuple[int, int]]
) -> None:
    """``column = column + delta`` for each (delta, id) in ``by_id``, with SQL arithmetic."""
    if not by_id:
        return
    preparer = _dialect(session).identifier_preparer
    name = preparer.quote(table.c[column].name)
    mark = _marks(session, 1)
    sql = (
        f"UPDATE {preparer.format_table(table)} SET {name} = {name} + {mark} "
        f"WHERE {preparer.quote('id')} = {mark}"
    )
    session.connection().exec_driver_sql(sql, list(by_id))
