"""How full PostgreSQL fills the customers table's pages (helper of migrations 0006 and 0009;
the leading underscore keeps Django's migration loader from taking it for a migration)."""

from __future__ import annotations

from typing import Any


def set_fillfactor(apps: Any, schema_editor: Any, value: int) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE customers_customer SET (fillfactor = {int(value)})")
