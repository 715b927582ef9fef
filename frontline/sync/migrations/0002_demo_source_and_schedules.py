"""The demo file-drop source that ``make run``'s feed writes to, with its beat schedules."""

from django.db import migrations

from frontline.sync.schedules import ensure_schedules


def create_demo_source(apps, schema_editor):
    Source = apps.get_model("sync", "Source")
    source, _ = Source.objects.get_or_create(
        name="demo-erp", defaults={"kind": "file_drop", "record_source": "erp"}
    )
    ensure_schedules(
        source,
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_demo_source, migrations.RunPython.noop)]
