"""Writing generated row tuples to the database as fast as the backend allows.

PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3, one COPY per table and batch; the rows are
sent by psycopg's queued writer thread while Python builds the next ones, and the server
parses and indexes them in its own process, so both cores work. Other backends (SQLite in
development): ``executemany`` with each value prepared by its model field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from django.core.management.color import no_style
from django.db import connection, models

from frontline.demo.tables import Table

Row = tuple[object, ...]


class RowWriter(Protocol):
    def write(self, table: Table, rows: Iterable[Row]) -> int: ...


class PostgresCopyWriter:
    def write(self, table: Table, rows: Iterable[Row]) -> int:
        from psycopg.copy import QueuedLibpqWriter

        columns = ", ".join(connection.ops.quote_name(c) for c in column_names(table))
        statement = f"COPY {connection.ops.quote_name(table.name)} ({columns}) FROM STDIN"
        count = 0
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
                    count += 1
        return count


class ExecuteManyWriter:
    """Portable writer: one INSERT statement executed for many rows."""

    def write(self, table: Table, rows: Iterable[Row]) -> int:
        adapters = value_adapters(table)
        columns = column_names(table)
        quote = connection.ops.quote_name
        # Identifiers come from the models, quoted; values are parameters.
        names = ", ".join(quote(c) for c in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({placeholders})"  # noqa: S608
        prepared = [
            tuple(
                value if adapt is None else adapt(value)
                for adapt, value in zip(adapters, row, strict=True)
            )
            for row in rows
        ]
        if prepared:
            with connection.cursor() as cursor:
                cursor.executemany(statement, prepared)
        return len(prepared)


def column_names(table: Table) -> list[str]:
    fields = fields_by_attname(table.model)
    return [fields[attname].column for attname in table.columns]


def fields_by_attname(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {field.attname: field for field in model._meta.concrete_fields}


def value_adapters(table: Table) -> list[Callable[[object], object] | None]:
    """For each column, how its model field prepares a value for the database (None: as is)."""
    fields = fields_by_attname(table.model)
    needs_preparing = (models.DateField, models.DecimalField, models.TimeField)
    adapters: list[Callable[[object], object] | None] = []
    for attname in table.columns:
        field = fields[attname]
        if isinstance(field, needs_preparing):
            adapters.append(lambda value, field=field: field.get_db_prep_save(value, connection))
        else:
            adapters.append(None)
    return adapters


def writer_for_connection() -> RowWriter:
    if connection.vendor == "postgresql":
        return PostgresCopyWriter()
    return ExecuteManyWriter()


def reset_sequences(tables: Sequence[Table]) -> None:
    """After inserting explicit ids, make the next id the database hands out follow them."""
    statements = connection.ops.sequence_reset_sql(no_style(), [t.model for t in tables])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def analyze(tables: Sequence[Table]) -> None:
    """Fresh planner statistics, so the first queries on the new data choose good plans."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table.name)}")


@contextmanager
def foreign_keys_checked_once(tables: Sequence[Table]) -> Iterator[None]:
    """On PostgreSQL, check the loaded tables' foreign keys once at the end instead of per row.

    Django's foreign keys are deferred, so every inserted row queues a trigger that looks its
    references up one by one at commit: for millions of rows that costs far more than the load.
    As PostgreSQL's manual advises for bulk loads, the constraints are dropped and re-added
    with their exact definitions; re-adding validates every row in one join. It all happens in
    the caller's transaction, so a failure leaves the constraints as they were.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE refuses tables with deferred checks still pending in this transaction
        # (e.g. from deletes just before): run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY conrelid::regclass::text, conname",
            [[table.name for table in tables]],
        )
        constraints = cursor.fetchall()
        for table_name, name, _definition in constraints:
            cursor.execute(
                f"ALTER TABLE {table_name} DROP CONSTRAINT {connection.ops.quote_name(name)}"
            )
    yield
    with connection.cursor() as cursor:
        for table_name, name, definition in constraints:
            constraint = connection.ops.quote_name(name)
            cursor.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
