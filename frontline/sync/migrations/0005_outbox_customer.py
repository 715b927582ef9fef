"""Outbox messages know whom their Task is about, so one for a customer the CRM does not
know yet can wait for the contact instead of going out about nobody."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_sentiment_month'),
        ('sync', '0004_inventory_items'),
    ]

    operations = [
        migrations.AddField(
            model_name='outboxmessage',
            name='customer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='customers.customer'),
        ),
    ]
