"""Django's second index on a unique text column, for migrations that drop it.

On PostgreSQL Django gives every unique ``CharField`` two indexes: the unique one, and a
``varchar_pattern_ops`` copy named ``…_like`` that only ``LIKE 'prefix%'`` (``startswith``)
queries read under a non-"C" collation. Where no query looks a column up by prefix, the copy
costs every write and every bulk load's rebuild and serves nothing: ``drop_like_index`` and its
reverse ``create_like_index`` are the two halves of a ``RunPython`` that drops it.

Django does not record the copy in its migration state; it names it the same way each time, so
a later ``AlterField`` of the column drops it "if exists" and may make it again (then drop it
again the same way).
"""

from __future__ import annotations

from typing import Any


def like_index_name(schema_editor: Any, table: str, column: str) -> str:
    """The name Django gives the copy (``_create_like_index_sql``)."""
    return str(schema_editor._create_index_name(table, [column], suffix="_like"))


def drop_like_index(schema_editor: Any, table: str, column: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    name = schema_editor.quote_name(like_index_name(schema_editor, table, column))
    schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_like_index(schema_editor: Any, table: str, column: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    name = schema_editor.quote_name(like_index_name(schema_editor, table, column))
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {name} ON {schema_editor.quote_name(table)} "
        f"({schema_editor.quote_name(column)} varchar_pattern_ops)"
    )
