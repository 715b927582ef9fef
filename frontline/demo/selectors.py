"""Reading back what the demo loaded."""

from __future__ import annotations

import hashlib

from django.db import connection

from frontline.demo.load import column_names
from frontline.demo.tables import ALL_TABLES


def demo_checksum() -> str:
    """A SHA-256 over every row the demo writes, in id order: equal data, equal checksum.

    Used to show that a seed reproduces the same data (on the same day: dates count back
    from today). Rows are read as the database returns them, so compare checksums taken on
    the same database backend.
    """
    digest = hashlib.sha256()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in ALL_TABLES:
            columns = ", ".join(quote(c) for c in column_names(table))
            cursor.execute(f"SELECT {columns} FROM {quote(table.name)} ORDER BY {quote('id')}")  # noqa: S608
            digest.update(table.name.encode())
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    digest.update(repr(row).encode())
    return digest.hexdigest()
