"""Orders get what interactions got in customers/0007: the history index ends with the id,
so the newest page of orders comes off it with the LIMIT, and replaces the customer-only
index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_timeline_index_with_tiebreak'),
        ('orders', '0002_initial'),
        ('staff', '0002_store_default_hold_hours'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='order',
            name='order_history',
        ),
        migrations.AlterField(
            model_name='order',
            name='customer',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='customers.customer'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['customer', '-placed_at', '-id'], name='order_history'),
        ),
    ]
