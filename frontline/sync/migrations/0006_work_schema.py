"""A schema for the file-drop fast path's staging tables (PostgreSQL only).

The fast path types a whole staged file in SQL. PostgreSQL's parallel workers cannot read a
temporary table, so a statement over one runs on a single core; the staged file and its order
groups are therefore unlogged tables, kept here and out of ``public``, where Django's own
tables and their introspection live. Each backend names its tables after its process id and
sweeps those of sessions that are gone (frontline/sync/bulk_file.py).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

WORK_SCHEMA = "sync_work"


def create_schema(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SCHEMA IF NOT EXISTS {WORK_SCHEMA}")


def drop_schema(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SCHEMA IF EXISTS {WORK_SCHEMA} CASCADE")


class Migration(migrations.Migration):
    dependencies = [("sync", "0005_outbox_customer")]

    operations = [migrations.RunPython(create_schema, drop_schema)]
