"""Two indexes of ``customers_customer`` that no query reads (issue 21: every index is rebuilt
by the sync's bulk load of a million customers, 0.6–0.7 s each there, loaded machine):

- ``preferred_store_id``'s own index: ``customer_store_tier`` (preferred_store, tier) starts with
  it, and PostgreSQL reads that one for the store's customers and for the ``SET NULL`` when a
  store is deleted (checked with EXPLAIN at 1M customers);
- Django's ``varchar_pattern_ops`` copy of the customer number (``…_like``,
  ``frontline.core.pattern_indexes``): the number is only ever looked up whole (search's
  ``number IN (…)``, the admin's case-insensitive ``=number``, the matcher's equality), which the
  unique index serves.
"""

import django.db.models.deletion
from django.db import migrations, models

from frontline.core.pattern_indexes import create_like_index, drop_like_index


def drop_number_like(apps, schema_editor):
    drop_like_index(schema_editor, "customers_customer", "number")


def create_number_like(apps, schema_editor):
    create_like_index(schema_editor, "customers_customer", "number")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0018_interaction_summary_whole"),
        ("staff", "0003_store_language"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="preferred_store",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="staff.store",
            ),
        ),
        migrations.RunPython(drop_number_like, create_number_like, elidable=False),
    ]
