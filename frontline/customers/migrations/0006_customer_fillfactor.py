"""Half-empty customer pages, so that updating a customer's figures is a HOT update.

Sync refreshes lifetime value, order count and purchase dates on every customer an order
import touches; none of those columns is indexed, but without room on the row's page
PostgreSQL writes the new row version elsewhere and adds it to all thirteen indexes (seen here:
170 s for a million customers after a full import, 4 s once the updates were HOT).
"""

from __future__ import annotations

from functools import partial

from django.db import migrations

from frontline.customers.migrations import _fillfactor


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_store_scoped_search_indexes")]

    operations = [
        migrations.RunPython(
            partial(_fillfactor.set_fillfactor, value=50),
            partial(_fillfactor.set_fillfactor, value=100),
        )
    ]
