"""PostgreSQL search indexes, designed for a million customers.

- a trigram GIN index on the lower-cased full name (typo-tolerant and substring name search);
- a prefix index on the lower-cased e-mail (``text_pattern_ops`` whatever the collation);
- a prefix index on the reversed phone, so that "ends with these digits" becomes a prefix search.

SQLite has no trigram indexes and no reverse(): there the search falls back to plain scans,
which is fine at development sizes. Each index is created only on PostgreSQL.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    (
        "customer_search_name_trgm",
        "CREATE INDEX IF NOT EXISTS customer_search_name_trgm ON customers_customer "
        "USING gin (search_name gin_trgm_ops)",
    ),
    (
        "customer_email_prefix",
        "CREATE INDEX IF NOT EXISTS customer_email_prefix ON customers_customer "
        "(lower(email) text_pattern_ops)",
    ),
    (
        "customer_phone_reversed",
        "CREATE INDEX IF NOT EXISTS customer_phone_reversed ON customers_customer "
        "(reverse(phone) text_pattern_ops)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, statement in INDEXES:
        schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _statement in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_notes_wishlist_duplicates_merges")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
