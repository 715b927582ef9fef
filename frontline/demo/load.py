"""Writing generated row tuples to the database as fast as the backend allows.

PostgreSQL: binary ``COPY ... FROM STDIN`` through psycopg 3, one COPY per table and batch
(customer batches are encoded by worker processes, see ``parallel``). Other backends (SQLite in
development): ``executemany`` with each value prepared by its model field.
"""

from __future__ import annotations

import time
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
    """Binary COPY: psycopg encodes each value in C and the server parses no text."""

    def __init__(self) -> None:
        connection.ensure_connection()
        # The raw psycopg connection of Django's current transaction: usable from the
        # background thread (psycopg serialises access), where Django's ``connection``
        # would be another connection outside the transaction.
        self.raw = connection.connection
        self.types: dict[str, list[int]] = {}

    def column_types(self, table: Table) -> list[int]:
        if table.name not in self.types:
            with self.raw.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    [table.name],
                )
                oids = dict(cursor.fetchall())
            self.types[table.name] = [oids[column] for column in column_names(table)]
        return self.types[table.name]

    def statement(self, table: Table) -> Any:
        from psycopg import sql

        return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, column_names(table)))
        )

    def write_encoded(self, table: Table, pieces: Iterable[bytes]) -> None:
        """Stream rows already encoded in the binary COPY format (see ``parallel``)."""
        from frontline.demo.parallel import SIGNATURE, TRAILER

        with self.raw.cursor() as cursor, cursor.copy(self.statement(table)) as copy:
            copy.write(SIGNATURE)
            for piece in pieces:
                copy.write(piece)
            copy.write(TRAILER)

    def connect_kwargs(self) -> dict[str, Any]:
        """How another process reaches the same database."""
        settings = connection.settings_dict
        kwargs = {
            "dbname": settings["NAME"],
            "user": settings.get("USER"),
            "password": settings.get("PASSWORD"),
            "host": settings.get("HOST"),
            "port": settings.get("PORT"),
        }
        return {key: value for key, value in kwargs.items() if value}

    def write(self, table: Table, rows: Iterable[Row]) -> int:
        types = self.column_types(table)
        count = 0
        with self.raw.cursor() as cursor, cursor.copy(self.statement(table)) as copy:
            copy.set_types(types)
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
                cursor.executemany(statement, prepared)  # type: ignore[arg-type]
        return len(prepared)


def column_names(table: Table) -> list[str]:
    fields = fields_by_attname(table.model)
    return [str(fields[attname].column) for attname in table.columns]


def fields_by_attname(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {field.attname: field for field in model._meta.concrete_fields}


def value_adapters(table: Table) -> list[Callable[[object], object] | None]:
    """For each column, how its model field prepares a value for the database (None: as is)."""
    fields = fields_by_attname(table.model)
    needs_preparing = (models.DateField, models.DecimalField, models.TimeField)
    adapters: list[Callable[[object], object] | None] = []
    for attname in table.columns:
        field = fields[attname]
        adapters.append(preparer(field) if isinstance(field, needs_preparing) else None)
    return adapters


def preparer(field: models.Field[Any, Any]) -> Callable[[object], object]:
    def prepare(value: object) -> object:
        return field.get_db_prep_save(value, connection)

    return prepare


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
def indexes_and_foreign_keys_built_once(
    tables: Sequence[Table], progress: Callable[[str], None] = lambda message: None
) -> Iterator[None]:
    """On PostgreSQL, build the loaded tables' indexes and check their foreign keys once, after.

    Django's foreign keys are deferred, so every inserted row queues a trigger that looks its
    references up one by one at commit; and every secondary index takes each row at a random
    place (an email, a name), touching pages all over the index. For millions of rows both
    cost far more than the load itself. As PostgreSQL's manual advises for bulk loads, the
    foreign keys and the indexes that back no constraint are dropped and re-created with their
    exact definitions after the load: re-adding a foreign key validates every row in one join,
    re-creating an index sorts its keys once (and a unique one refuses duplicates as before).
    Primary keys and unique constraints stay. It all happens in the caller's transaction, so a
    failure leaves the schema as it was.
    """
    if connection.vendor != "postgresql":
        yield
        return
    names = [table.name for table in tables]
    with connection.cursor() as cursor:
        # ALTER TABLE refuses tables with deferred checks still pending in this transaction
        # (e.g. from deletes just before): run those checks now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        constraints = foreign_keys(cursor, names)
        indexes = indexes_backing_no_constraint(cursor, names)
        for table_name, name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table_name} DROP CONSTRAINT {quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # Each index build sorts a whole table and each check is one join of a whole table
        # against its target: let both work in memory (the server's, not this process's).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        started = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        built = time.perf_counter()
        progress(f"seed_demo: {len(indexes)} indexes built in {built - started:.1f} s")
        for table_name, name, definition in constraints:
            cursor.execute(
                f"ALTER TABLE {table_name} ADD CONSTRAINT {quote_name(name)} {definition}"
            )
        progress(
            f"seed_demo: {len(constraints)} foreign keys checked in "
            f"{time.perf_counter() - built:.1f} s"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def foreign_keys(cursor: Any, table_names: list[str]) -> list[tuple[str, str, str]]:
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
        "ORDER BY conrelid::regclass::text, conname",
        [table_names],
    )
    return cursor.fetchall()


def indexes_backing_no_constraint(cursor: Any, table_names: list[str]) -> list[tuple[str, str]]:
    """Plain (and partial unique) indexes: not a primary key's, nor a unique constraint's."""
    cursor.execute(
        "SELECT index.relname, pg_get_indexdef(index.oid) "
        "FROM pg_index JOIN pg_class index ON index.oid = pg_index.indexrelid "
        "WHERE pg_index.indrelid = ANY(%s::regclass[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = index.oid) "
        "ORDER BY index.relname",
        [table_names],
    )
    return cursor.fetchall()


def quote_name(name: str) -> str:
    return connection.ops.quote_name(name)
