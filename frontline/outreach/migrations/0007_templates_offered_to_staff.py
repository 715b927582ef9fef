"""Templates staff are offered, and the survey's, which they are not: it speaks of a link only
the survey fills in (0006), so written by hand it would promise the customer a link that never
comes."""

from django.db import migrations, models

SENT_BY_FRONTLINE_ALONE = ["nps-survey"]


def reserve_survey_template(apps, schema_editor):
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    MessageTemplate.objects.filter(key__in=SENT_BY_FRONTLINE_ALONE).update(offered_to_staff=False)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0006_survey_template")]

    operations = [
        migrations.AddField(
            model_name="messagetemplate",
            name="offered_to_staff",
            field=models.BooleanField(
                default=True, help_text="Offered to staff writing to customers and in campaigns"
            ),
        ),
        migrations.RunPython(reserve_survey_template, migrations.RunPython.noop),
    ]
