"""Bulk loads of a domain's tables from a staged table: the machinery the domains share.

The big-file fast path (``frontline.sync.bulk_file``) stages a file and hands the domains
(``customers.bulk``, ``orders.bulk``) tables of mapped records; each domain lands its own tables
with ``INSERT … SELECT`` statements built on what this module gives: ``upsert_counts`` (an
upsert counted in the database), ``first_load`` (when an upsert may skip ``ON CONFLICT``),
``rebuilt_after`` (indexes and foreign keys rebuilt once instead of maintained) and
``work_table`` (a landing's temporary tables).

Loads large next to their table: indexes and foreign keys rebuilt once instead of maintained.

PostgreSQL's own advice for bulk loading ("Populating a Database" in its manual): when a load
brings more rows than the table already holds, building each secondary index once over the
loaded table costs far less than inserting every row into every index, and one set-wise check
of a foreign key (``ALTER TABLE … VALIDATE CONSTRAINT``) far less than a trigger per row. Here a
fast-path landing names the tables it is about to fill and how many rows it brings; a table
that holds no more rows than that, for a load of at least ``SYNC_BULK_REBUILD_MIN_ROWS``, loses
its secondary indexes and its foreign keys before the load and gets them back after it.

Safe by construction:

- Everything runs inside the landing's transaction (refused outside one). PostgreSQL's DDL is
  transactional: an error or a killed worker rolls the drops back together with the rows, and
  the schema is exactly as before.
- The definitions are read from the live catalog just before the drop (``pg_get_indexdef``,
  ``pg_get_constraintdef``) and replayed as they are, so what comes back is what the migrations
  made, never a hand-written copy that could drift from them.
- Only what a rebuild gives back exactly is dropped: valid non-unique indexes that back no
  constraint, in the default tablespace. Primary keys and unique indexes stay (the upserts'
  ``ON CONFLICT`` needs them, and they enforce rules while the rows go in); a foreign key comes
  back as it was (deferrable or not, validated or not).
- The table's own sequences (its identity column's) cache values for the load and are set
  back after it: ALTER SEQUENCE is transactional too.
- With ``keys_of_empty_tables``, a table that is empty once locked loses its primary key and
  unique constraints and indexes too, unless a foreign key points at them: a load into an
  empty table is a first load, which inserts without ``ON CONFLICT`` (``first_load``),
  and building a unique index once over a million rows costs a fraction of checking each row
  against it (1M orders: 4.3 s with their two unique constraints, 1.8 s without plus 1.0 s to
  add them back). The rules still hold at commit: a duplicate makes the rebuild fail, and the
  landing with it.

The price: the tables rebuilt, and those their dropped foreign keys point at, are locked (ACCESS
EXCLUSIVE) until the landing commits, so readers of them wait for an initial load. That is why
a small incremental run never comes here, and why a foreign key pointing outside what the
landing writes anyway is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from psycopg import sql

from frontline.core.upsert import TableSpec, on_conflict, returning_inserted

# The fast path's log, where operators follow an import (the landing's timings).
logger = logging.getLogger("frontline.sync")

# Index builds sort in memory up to this much (for this transaction only); the default 64 MB
# makes a million-row build spill to disk.
MAINTENANCE_WORK_MEM = "512MB"
# During the load the table's own sequences hand this many values to the session at a time,
# instead of updating the sequence for every row (about 1 s of five million rows' insert); the
# values left in the cache when it is set back are skipped, a gap in the ids and no more.
LOAD_SEQUENCE_CACHE = 100_000


@dataclass(frozen=True)
class ForeignKey:
    name: str
    definition: str  # as pg_get_constraintdef gives it: "FOREIGN KEY (…) REFERENCES …"
    validated: bool


@dataclass(frozen=True)
class Dropped:
    """What was taken off one table, to be put back as it was."""

    table: str
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)
    foreign_keys: list[ForeignKey]
    # (name, definition as pg_get_constraintdef gives it: "PRIMARY KEY (id)", "UNIQUE (…)")
    keys: list[tuple[str, str]] = field(default_factory=list)
    # (the table's own sequence, e.g. of its identity column; the values it cached before)
    sequences: list[tuple[str, int]] = field(default_factory=list)


def is_large(table: str, rows: int) -> bool:
    """Whether loading ``rows`` rows into ``table`` is worth rebuilding its indexes after.

    The threshold: at least SYNC_BULK_REBUILD_MIN_ROWS rows, and no fewer than the table holds
    (a rebuild costs in proportion to the whole table, the per-row upkeep to the load).
    """
    if rows <= 0 or rows < settings.SYNC_BULK_REBUILD_MIN_ROWS:
        return False
    with connection.cursor() as cursor:
        # Counts no further than the load's size: cheap however big the table is.
        cursor.execute(
            sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT %s) existing").format(
                sql.Identifier(table)
            ),
            [rows + 1],
        )
        return int(cursor.fetchone()[0]) <= rows


@contextmanager
def rebuilt_after(
    loads: Mapping[str, int], *, writes: Collection[str] = (), keys_of_empty_tables: bool = False
) -> Iterator[list[str]]:
    """Drop the secondary indexes and foreign keys of the tables whose load is large, run the
    body (the load), then rebuild them. Yields the names of the tables rebuilt.

    With ``keys_of_empty_tables``, the primary key and unique constraints of a rebuilt table
    that is empty go too (see the module's docstring): only for a body that inserts into an
    empty table without ``ON CONFLICT``.

    Dropping a foreign key locks the table it points at too (ACCESS EXCLUSIVE, until commit),
    so only keys pointing at a loaded table or at one of ``writes`` (other tables the landing
    writes to anyway) are dropped; a key pointing anywhere else (staff, the catalog) is kept
    and checked row by row, so that the rest of the application does not wait for the load.

    On an exception nothing is rebuilt here: the transaction that must enclose this is rolled
    back by the caller, and the drops with it.
    """
    tables = [table for table, rows in loads.items() if is_large(table, rows)]
    if not tables:
        yield []
        return
    if not connection.in_atomic_block:
        raise RuntimeError("a bulk rebuild must run inside the landing's transaction")
    targets = [*loads, *writes]
    _check_pending_constraints(tables, targets)
    dropped = [_drop(table, targets, keys_of_empty_tables) for table in tables]
    yield tables
    started = time.perf_counter()
    # The foreign keys kept have checks queued by the load: run before the tables are altered.
    _check_pending_constraints(tables, targets)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = %s", [MAINTENANCE_WORK_MEM])
    for table in dropped:
        _restore(table)
        # A table loaded large has changed materially: the landing's next statements (the
        # customers' figures read the lines through a partial index) and everything after it
        # need its real statistics, not those of the table before the load. The engine does
        # not analyse it again (Landing.analysed).
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table.table)))
    logger.info(
        "rebuilt and analysed %s in %.1f s", ", ".join(tables), time.perf_counter() - started
    )


def _check_pending_constraints(tables: list[str], targets: list[str]) -> None:
    """Run now the deferred checks already queued in this transaction on the tables the rebuild
    alters (these and those their dropped foreign keys point at), and leave them deferred again.

    PostgreSQL refuses to ALTER or index a table with pending trigger events: before the drop
    there are some only if a caller wrote to these tables earlier in the transaction; before
    the rebuild, the load queued a check per row for each foreign key kept. The checks give the
    same answer now as at commit, as nothing written after them could change it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH altered AS (
                SELECT unnest(%(tables)s::regclass[]) AS rel
                UNION
                SELECT confrelid FROM pg_constraint
                WHERE contype = 'f' AND conrelid = ANY(%(tables)s::regclass[])
                  AND confrelid = ANY(%(targets)s::regclass[])
            )
            SELECT n.nspname, k.conname, k.condeferred
            FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.condeferrable AND (k.conrelid IN (SELECT rel FROM altered)
                  OR (k.contype = 'f' AND k.confrelid IN (SELECT rel FROM altered)))
            """,
            {"tables": tables, "targets": targets},
        )
        constraints = cursor.fetchall()
        if not constraints:
            return
        names = lambda rows: sql.SQL(", ").join(sql.Identifier(s, n) for s, n, _ in rows)  # noqa: E731
        cursor.execute(sql.SQL("SET CONSTRAINTS {} IMMEDIATE").format(names(constraints)))
        # Those dropped below come back with their own initial mode; the others get theirs.
        deferred = [row for row in constraints if row[2]]
        if deferred:
            cursor.execute(sql.SQL("SET CONSTRAINTS {} DEFERRED").format(names(deferred)))


def _drop(table: str, targets: list[str], keys_of_empty_tables: bool) -> Dropped:
    with connection.cursor() as cursor:
        # First, so that the table stays as empty as seen, and held until commit even where
        # nothing is dropped: first_load relies on it.
        cursor.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table))
        )
        keys_too = keys_of_empty_tables and is_empty(table)
        # An index a foreign key points at (the key's conindid) stays, as it must.
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %(table)s::regclass AND (NOT i.indisunique OR %(keys_too)s)
              AND NOT i.indisprimary AND i.indisvalid AND i.indisready AND c.reltablespace = 0
              AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY c.relname
            """,
            {"table": table, "keys_too": keys_too},
        )
        indexes = [(name, definition) for name, definition in cursor.fetchall()]
        keys = _unreferenced_keys(cursor, table) if keys_too else []
        sequences = _owned_sequences(cursor, table)
        for sequence, _ in sequences:
            cursor.execute(
                sql.SQL("ALTER SEQUENCE {} CACHE {}").format(
                    sql.SQL(sequence), sql.Literal(LOAD_SEQUENCE_CACHE)
                )
            )
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' AND confrelid = ANY(%s::regclass[]) "
            "ORDER BY conname",
            [table, targets],
        )
        foreign_keys = [ForeignKey(*row) for row in cursor.fetchall()]
        constraints = [key.name for key in foreign_keys] + [name for name, _ in keys]
        if constraints:
            cursor.execute(
                sql.SQL("ALTER TABLE {} {}").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(
                        sql.SQL("DROP CONSTRAINT {}").format(sql.Identifier(name))
                        for name in constraints
                    ),
                )
            )
        if indexes:
            cursor.execute(
                sql.SQL("DROP INDEX {}").format(
                    sql.SQL(", ").join(sql.Identifier(name) for name, _ in indexes)
                )
            )
    return Dropped(
        table=table, indexes=indexes, foreign_keys=foreign_keys, keys=keys, sequences=sequences
    )


def first_load(spec: TableSpec, rebuilt: Collection[str]) -> bool:
    """Whether the upsert's table is empty and stays so but for this landing, so that no row
    of it can conflict (each landing's rows are distinct on the key by construction).

    Only a table in ``rebuilt``: the rebuild locked it (ACCESS EXCLUSIVE, until commit) before
    it looked, so its answer and this one agree, and only on such a table does the rebuild
    drop the unique constraints an ``ON CONFLICT`` would need.
    """
    return spec.table in rebuilt and is_empty(spec.table)


def upsert_counts(
    cursor: Any,
    insert: str,
    spec: TableSpec,
    params: Any,
    *,
    first_load: bool = False,
    keep: tuple[str, ...] = (),
    into: str = "",
) -> tuple[int, int]:
    """(created, updated) of ``insert`` (an ``INSERT INTO table AS target … SELECT``) upserting
    as ``spec`` says, counted in the database: only what changed is written.

    ``first_load`` (see ``first_load``): a plain insert, as the table may have no unique
    constraint to be ``ON CONFLICT``'s arbiter. With ``keep``, the rows written also go to the
    table ``into`` (columns: inserted boolean, then the ``keep`` columns), for the caller's
    next statements.
    """
    tail = returning_inserted(keep) if first_load else on_conflict(spec, keep)
    statement = f"{insert} {tail.as_string(connection.connection)}"
    written = "written"
    if keep:
        cursor.execute(
            f"WITH written AS ({statement}) INSERT INTO {into} SELECT * FROM written",  # noqa: S608
            params,
        )
        cursor.execute(f"ANALYZE {into}")
        statement, written, params = "SELECT TRUE", into, None
    cursor.execute(
        f"WITH written AS ({statement}) "  # noqa: S608 - our own statement
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
        f"FROM {written}",
        params,
    )
    created, updated = cursor.fetchone()
    return int(created), int(updated)


def work_table(cursor: Any, name: str, query: str, params: Any = None) -> None:
    """``CREATE TEMP TABLE name ON COMMIT DROP AS query``: one of a landing's work tables.

    Gone at commit; one of the same name that an earlier landing of the same transaction left
    (two files landed in one transaction, as tests do) is replaced. The drop names the
    session's own temporary schema, so that it can never reach a permanent table of that name.
    """
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {query}", params)


def is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT NOT EXISTS (SELECT FROM {})").format(sql.Identifier(table)))
        return bool(cursor.fetchone()[0])


def _owned_sequences(cursor: Any, table: str) -> list[tuple[str, int]]:
    """The sequences of the table's identity and serial columns, with their cache sizes."""
    cursor.execute(
        """
        SELECT format('%%I.%%I', n.nspname, s.relname), q.seqcache
        FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_namespace n ON n.oid = s.relnamespace
        JOIN pg_sequence q ON q.seqrelid = s.oid
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.refobjid = %s::regclass AND d.deptype IN ('a', 'i')
        ORDER BY 1
        """,
        [table],
    )
    return [(name, int(cache)) for name, cache in cursor.fetchall()]


def _unreferenced_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    """The table's primary key and unique constraints that no foreign key points at, whose
    index a rebuild gives back as it was (default tablespace, no storage options)."""
    cursor.execute(
        """
        SELECT k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class i ON i.oid = k.conindid
        WHERE k.conrelid = %s::regclass AND k.contype IN ('p', 'u')
          AND i.reltablespace = 0 AND i.reloptions IS NULL
          AND NOT EXISTS (SELECT FROM pg_constraint f
                          WHERE f.contype = 'f' AND f.conindid = k.conindid)
        ORDER BY k.conname
        """,
        [table],
    )
    return [(name, definition) for name, definition in cursor.fetchall()]


def _restore(dropped: Dropped) -> None:
    table = sql.Identifier(dropped.table)
    with connection.cursor() as cursor:
        for sequence, cache in dropped.sequences:
            cursor.execute(
                sql.SQL("ALTER SEQUENCE {} CACHE {}").format(sql.SQL(sequence), sql.Literal(cache))
            )
        for name, definition in dropped.keys:
            cursor.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                    table, sql.Identifier(name), sql.SQL(definition)
                )
            )
        for _, definition in dropped.indexes:
            cursor.execute(definition)
        if not dropped.foreign_keys:
            return
        # NOT VALID first, then one VALIDATE per key: a single set-wise check of the rows.
        cursor.execute(
            sql.SQL("ALTER TABLE {} {}").format(
                table,
                sql.SQL(", ").join(
                    sql.SQL("ADD CONSTRAINT {} {} NOT VALID").format(
                        sql.Identifier(key.name), sql.SQL(key.definition)
                    )
                    for key in dropped.foreign_keys
                ),
            )
        )
        for key in dropped.foreign_keys:
            if key.validated:
                cursor.execute(
                    sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                        table, sql.Identifier(key.name)
                    )
                )
