"""A data-quality flag: a product the source sent without a name lands with its code as name."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_holds_requests_watches'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='name_is_code',
            field=models.BooleanField(db_default=False, help_text='The source sent no name: the style code stands in for it.'),
        ),
    ]
