"""Search indexes that start with the store, so an associate's search is one index range.

Every associate searches within their stores' customers. An index on (store, name) returns the
customers of that store whose name starts with the text already in display order, so the
LIMIT stops the scan after a page, however common the prefix. Names and e-mails are compared
lower-cased in the "C" collation: byte order is what makes a prefix a range under any database
collation. The names themselves are included so that edit distances for typos are computed
inside the index, without visiting the table. fuzzystrmatch provides those edit distances.

Partial on ``merged_into IS NULL``: merged records are never searched. PostgreSQL only.
"""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

NAME_INCLUDE = "INCLUDE (first_name, last_name) WHERE merged_into_id IS NULL"
INDEXES = [
    (
        "customer_store_last_name",
        "CREATE INDEX IF NOT EXISTS customer_store_last_name ON customers_customer "
        '(preferred_store_id, (lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"), id) '
        + NAME_INCLUDE,
    ),
    (
        "customer_store_first_name",
        "CREATE INDEX IF NOT EXISTS customer_store_first_name ON customers_customer "
        '(preferred_store_id, (lower(first_name) COLLATE "C"), (lower(last_name) COLLATE "C"), id) '
        + NAME_INCLUDE,
    ),
    (
        "customer_store_email",
        "CREATE INDEX IF NOT EXISTS customer_store_email ON customers_customer "
        '(preferred_store_id, (lower(email) COLLATE "C"), id) WHERE merged_into_id IS NULL',
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
    dependencies = [("customers", "0004_search_indexes")]

    operations = [
        CreateExtension("fuzzystrmatch"),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
