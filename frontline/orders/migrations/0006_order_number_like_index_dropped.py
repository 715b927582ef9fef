"""Django's ``varchar_pattern_ops`` copy of the order number (``…_like``,
``frontline.core.pattern_indexes``) is read by no query: order numbers are only looked up whole
(the unique index serves them; the admin's ``=number`` compares case-insensitively, which
neither index serves). One index fewer for the sync's bulk load of a million orders to rebuild
(0.6 s there, loaded machine; issue 21).
"""

from django.db import migrations

from frontline.core.pattern_indexes import create_like_index, drop_like_index


def drop_number_like(apps, schema_editor):
    drop_like_index(schema_editor, "orders_order", "number")


def create_number_like(apps, schema_editor):
    create_like_index(schema_editor, "orders_order", "number")


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_order_deleted_at")]

    operations = [migrations.RunPython(drop_number_like, create_number_like, elidable=False)]
