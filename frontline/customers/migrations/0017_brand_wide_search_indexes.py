"""Search indexes for brand-wide lookup, and none that no query reads.

Customer lookup is brand-wide (issue 27): an associate searches every customer of the brand, so
the name and e-mail indexes no longer start with the store. Each still compares lower-cased
text in the "C" collation (byte order makes a prefix an index range under any database
collation, already in the order shown, so the LIMIT stops the scan after a page however common
the prefix), and the name indexes include both names so that edit distances for typos are
computed inside the index. Partial on live customers: merged and deleted ones are never found.

Dropped, because no query uses them any more and every index costs the sync its rebuild time
(issue 21, at 1M customers):

- the four store-scoped indexes of 0005/0010 (first and last name 7.3 s and 6.3 s, e-mail
  3.0 s, reversed phone): replaced by the brand-wide ones here;
- 0004's ``customer_phone_reversed``: replaced by one over live customers that holds the name,
  so that the matches of a phone fragment are ranked from the index alone;
- ``customer_email_prefix`` (0004, 2.4 s): the same lower-cased values as ``customer_email``
  (the column is lower-case by constraint), read by no query: the search's e-mail prefix
  compares in the "C" collation, which that index's expression does not;
- ``customer_name`` (lower(last), lower(first), 4.6 s): PostgreSQL's search matches the
  "C"-collated expressions, and SQLite, used in development, scans.

PostgreSQL only, as 0004 and 0005 (SQLite has no "C" collation by that name, nor INCLUDE).
"""

from django.db import migrations

LIVE = "WHERE merged_into_id IS NULL AND deleted_at IS NULL"
NAMES = "INCLUDE (first_name, last_name) " + LIVE
LAST, FIRST, EMAIL = (
    f'(lower({name}) COLLATE "C")' for name in ("last_name", "first_name", "email")
)

BRAND_INDEXES = {
    "customer_brand_last_name": f"({LAST}, {FIRST}, id) {NAMES}",
    "customer_brand_first_name": f"({FIRST}, {LAST}, id) {NAMES}",
    "customer_brand_email": f"({EMAIL}, id) {LIVE}",
    # The last digits of a phone: a few hundred customers among a million share six of them,
    # shown by name; the ids come from the index alone (it holds the name), the rows for 20.
    "customer_brand_phone_reversed": "(reverse(phone) text_pattern_ops) "
    f"INCLUDE (phone, search_name, id) {LIVE}",
}

# What 0004, 0005 and 0010 had made, to put back when the migration is reversed.
UNUSED_INDEXES = {
    "customer_store_last_name": f"(preferred_store_id, {LAST}, {FIRST}, id) {NAMES}",
    "customer_store_first_name": f"(preferred_store_id, {FIRST}, {LAST}, id) {NAMES}",
    "customer_store_email": f"(preferred_store_id, {EMAIL}, id) {LIVE}",
    "customer_store_phone_reversed": "(preferred_store_id, reverse(phone) text_pattern_ops) "
    + LIVE,
    "customer_email_prefix": "(lower(email) text_pattern_ops)",
    "customer_phone_reversed": "(reverse(phone) text_pattern_ops)",
}


def _swap(schema_editor, drop: dict[str, str], create: dict[str, str]) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in drop:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, definition in create.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {definition}"
        )


def brand_wide(apps, schema_editor):
    _swap(schema_editor, drop=UNUSED_INDEXES, create=BRAND_INDEXES)


def store_scoped(apps, schema_editor):
    _swap(schema_editor, drop=BRAND_INDEXES, create=UNUSED_INDEXES)


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_interaction_review")]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_name"),
        migrations.RunPython(brand_wide, store_scoped, elidable=False),
    ]
