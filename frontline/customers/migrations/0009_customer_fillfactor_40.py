"""Room on every customer page for a new version of each of its rows: fillfactor 40, not 50.

At 50 a page holds ~21 customers of ~180 bytes and keeps ~4 KB free, about what a new
version of all of them needs: when an order import updates every customer's figures, the last
one or two on some pages found no room and their new versions went elsewhere, into all sixteen
indexes (94.9 % HOT over ten imports; 2.9M WAL records for 1M updates). At 40, 1,000,000 of
1,000,000 were HOT. Measured on a full import of 1M customers and 1M orders: the figures update
25-29 s at 50, 12.0-15.4 s at 40; the customers' own insert costs 1-2 s more over the larger
heap.

Only pages written from now on are filled to 40%: a table already loaded keeps its packing
until it is rewritten (VACUUM FULL or a reload).
"""

from __future__ import annotations

from functools import partial

from django.db import migrations

from frontline.customers.migrations import _fillfactor


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_sentiment_month")]

    operations = [
        migrations.RunPython(
            partial(_fillfactor.set_fillfactor, value=40),
            partial(_fillfactor.set_fillfactor, value=50),
        )
    ]
