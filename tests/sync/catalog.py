"""What PostgreSQL's catalog says about a table's indexes and foreign keys, to compare."""

from __future__ import annotations

from typing import Any

from django.db import connection

# The tables the file-drop fast path may rebuild (frontline.core.bulk_load).
LOADED_TABLES = (
    "customers_customer",
    "customers_customeridentity",
    "orders_order",
    "orders_orderline",
)


def schema_of(tables: tuple[str, ...] = LOADED_TABLES) -> dict[str, Any]:
    """Every index (name, definition, valid) and every constraint (name, definition,
    deferrable, initially deferred, validated) on these tables or pointing at them, and their
    sequences' caches."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = ANY(%s::regclass[]) ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, "
            "condeferred, convalidated FROM pg_constraint "
            "WHERE conrelid = ANY(%(t)s::regclass[]) OR confrelid = ANY(%(t)s::regclass[]) "
            "ORDER BY 1, 2",
            {"t": list(tables)},
        )
        constraints = cursor.fetchall()
    sequences = {table: sequence_caches(table) for table in tables}
    return {"indexes": indexes, "constraints": constraints, "sequences": sequences}


def sequence_caches(table: str) -> dict[str, int]:
    """The table's own sequences (its identity column's) and how many values each caches."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.objid::regclass::text, q.seqcache FROM pg_depend d "
            "JOIN pg_sequence q ON q.seqrelid = d.objid "
            "WHERE d.refobjid = %s::regclass AND d.deptype IN ('a', 'i')",
            [table],
        )
        return dict(cursor.fetchall())


def index_ids(table: str) -> set[int]:
    """The indexes' object ids: a rebuilt index has a new one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::bigint FROM pg_index WHERE indrelid = %s::regclass", [table]
        )
        return {row[0] for row in cursor.fetchall()}


def foreign_key_ids(tables: tuple[str, ...] = LOADED_TABLES) -> dict[tuple[str, str], int]:
    """(table, table pointed at) -> the foreign key's object id: a re-added key has a new one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, confrelid::regclass::text, oid::bigint "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [list(tables)],
        )
        return {(table, target): oid for table, target, oid in cursor.fetchall()}
