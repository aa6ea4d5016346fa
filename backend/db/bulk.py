"""Many rows into one table in one ``executemany``, their values converted column by column.

A Core ``insert`` executed with many rows has SQLAlchemy build every row's parameters
through the compiled statement, then run each value through its type's bind processor:
on this machine's profile of a push, that was most of the time the events' insert took.
:class:`RowInserter` asks SQLAlchemy once per dialect for the statement's SQL and for each
column's bind processor (the same ones a Core insert applies, ``UTCDateTime`` and enums
included), and converts a value repeated in the rows (the match, the device, the time of
the push) once. The SQL goes to the driver through ``exec_driver_sql``, inside the
session's transaction and past the engine's event hooks, as any other statement.

``tests/db/test_bulk.py`` holds it equal to a Core insert of the same rows, on both
databases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


class RowInserter:
    """``INSERT INTO table`` of rows that each name every column of ``table``."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._columns = tuple(column.key for column in table.columns)
        self._prepared: dict[tuple[str, str], tuple[str, tuple[str, ...], tuple[Processor, ...]]]
        self._prepared = {}

    def insert(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        connection = session.connection()
        schemas = connection.get_execution_options().get("schema_translate_map")
        sql, names, processors = self._prepare(connection.dialect, schemas)
        columns = [
            _converted([row[name] for row in rows], processor)
            for name, processor in zip(names, processors, strict=True)
        ]
        parameters: list[Any] = list(zip(*columns, strict=True))
        if not connection.dialect.positional:
            parameters = [dict(zip(names, values, strict=True)) for values in parameters]
        connection.exec_driver_sql(sql, parameters)

    def _prepare(
        self, dialect: Dialect, schemas: Mapping[str | None, str | None] | None
    ) -> tuple[str, tuple[str, ...], tuple[Processor, ...]]:
        key = (dialect.name, repr(sorted((schemas or {}).items(), key=repr)))
        prepared = self._prepared.get(key)
        if prepared is None:
            compiled = insert(self._table).compile(
                dialect=dialect,
                column_keys=list(self._columns),
                schema_translate_map=dict(schemas) if schemas else None,
                render_schema_translate=bool(schemas),
            )
            names = tuple(compiled.positiontup or ()) if compiled.positional else self._columns
            types = {column.key: column.type for column in self._table.columns}
            processors = tuple(
                types[name].dialect_impl(dialect).bind_processor(dialect) for name in names
            )
            prepared = self._prepared[key] = (compiled.string, names, processors)
        return prepared


def _converted(values: list[Any], processor: Processor) -> list[Any]:
    """``values`` through ``processor``, each distinct value converted once."""
    if processor is None:
        return values
    seen: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            converted = seen.get(value, _UNSEEN)
        except TypeError:  # unhashable: converted each time
            converted = processor(value)
        if converted is _UNSEEN:
            converted = seen[value] = processor(value)
        out.append(converted)
    return out


_UNSEEN = object()
