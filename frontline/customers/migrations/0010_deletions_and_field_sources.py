"""Soft deletions from the source systems, and where each synced field's value came from."""

from django.db import migrations, models


# The store-scoped search indexes (0005) are partial on "not merged"; search now also leaves out
# customers deleted at every source, so the predicate names both and the indexes stay usable
# (and index-only) for it.
STORE_INDEXES = {
    "customer_store_last_name": '(preferred_store_id, (lower(last_name) COLLATE "C"), '
    '(lower(first_name) COLLATE "C"), id) INCLUDE (first_name, last_name)',
    "customer_store_first_name": '(preferred_store_id, (lower(first_name) COLLATE "C"), '
    '(lower(last_name) COLLATE "C"), id) INCLUDE (first_name, last_name)',
    "customer_store_email": '(preferred_store_id, (lower(email) COLLATE "C"), id)',
    "customer_store_phone_reversed": "(preferred_store_id, reverse(phone) text_pattern_ops)",
}


def _rebuild_store_indexes(schema_editor, predicate):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in STORE_INDEXES.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE INDEX {name} ON customers_customer {columns} WHERE {predicate}"
        )


def live_only(apps, schema_editor):
    _rebuild_store_indexes(schema_editor, "merged_into_id IS NULL AND deleted_at IS NULL")


def not_merged_only(apps, schema_editor):
    _rebuild_store_indexes(schema_editor, "merged_into_id IS NULL")



class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_customer_fillfactor_40'),
    ]

    operations = [
        migrations.AddField(
            model_name='customer',
            name='deleted_at',
            field=models.DateTimeField(blank=True, help_text='Set when every source system that knew this customer deleted its record; the customer is then hidden from search and the profile.', null=True),
        ),
        migrations.AddField(
            model_name='customer',
            name='field_sources',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='customeridentity',
            name='deleted_at',
            field=models.DateTimeField(blank=True, help_text='When the source system said it deleted this record.', null=True),
        ),
        migrations.RunPython(live_only, not_merged_only, elidable=False),
    ]
