"""Lifetime value is net of returns: negative for a customer who returned more than they bought."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0011_identity_tags'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='customer',
            name='customer_ltv_not_negative',
        ),
    ]
