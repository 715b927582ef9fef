"""The history index gains the id, the tie-break of the newest-first order, and replaces
the plain index on the customer.

The profile and the paged history sort by (date, id) descending. With the id in the index a
page comes straight off it with the LIMIT; before, PostgreSQL expected a handful of rows per
customer, chose the smaller customer-only index and sorted the whole history, which costs most
for the customers with the longest histories. Lookups by customer alone (merges, deletes) use
the new index's leading column, so the customer-only index was only a cost on every write.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0006_customer_fillfactor'),
        ('staff', '0002_store_default_hold_hours'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='interaction',
            name='interaction_timeline',
        ),
        migrations.AlterField(
            model_name='interaction',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='interactions', to='customers.customer'),
        ),
        migrations.AddIndex(
            model_name='interaction',
            index=models.Index(fields=['customer', '-occurred_at', '-id'], name='interaction_timeline'),
        ),
    ]
