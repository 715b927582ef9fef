"""Returns as documents of their own and unit prices with the source's precision.

An order gets a kind (sale or return) and, for a return, an optional link to the sale it
returns; a return's total is zero or less and its lines' quantities negative. Unit prices keep
four decimals instead of two (a price of 0.001 used to be stored as 0.00).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_order_history_index_with_tiebreak'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='order',
            name='order_total_not_negative',
        ),
        migrations.RemoveConstraint(
            model_name='orderline',
            name='line_quantity_positive',
        ),
        migrations.RemoveConstraint(
            model_name='orderline',
            name='returned_within_quantity',
        ),
        migrations.AddField(
            model_name='order',
            name='kind',
            field=models.CharField(choices=[('sale', 'Sale'), ('return', 'Return')], db_default='sale', max_length=6),
        ),
        migrations.AddField(
            model_name='order',
            name='original',
            field=models.ForeignKey(blank=True, db_index=False, help_text='For a return: the sale it returns, when the source says which one.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='returns', to='orders.order'),
        ),
        migrations.AlterField(
            model_name='orderline',
            name='quantity',
            field=models.IntegerField(),
        ),
        migrations.AlterField(
            model_name='orderline',
            name='unit_price',
            field=models.DecimalField(decimal_places=4, max_digits=14),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(condition=models.Q(('original__isnull', False)), fields=['original'], name='order_returns_of_sale'),
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(condition=models.Q(('returned_quantity__gt', 0)), fields=['order'], name='orderline_with_returns'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'sale'), ('total__gte', 0)), models.Q(('kind', 'return'), ('total__lte', 0)), _connector='OR'), name='order_total_signed_by_kind'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('original__isnull', True), ('kind', 'return'), _connector='OR'), name='only_returns_have_an_original'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity', 0), _negated=True), name='line_quantity_not_zero'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('returned_quantity', 0), models.Q(('quantity__gt', 0), ('returned_quantity__lte', models.F('quantity'))), _connector='OR'), name='returned_within_quantity'),
        ),
    ]
