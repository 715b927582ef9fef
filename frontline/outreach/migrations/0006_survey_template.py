"""The template the NPS survey opens a WhatsApp conversation with, outside the customer's
24-hour window (frontline.surveys.services.SURVEY_WHATSAPP_TEMPLATE).

WhatsApp lets a business write first only with a template it approved. The brand submits this
text through its provider (at Twilio, a Content template whose body has {{1}} for the first
name, {{2}} for the store and {{3}} for the survey's link, in that order) and, once approved,
pastes its ContentSid into ``whatsapp_content_sid`` in the back office. Until then a survey
outside the window is not sent on WhatsApp (and a later run asks again)."""

from django.db import migrations

TEMPLATE = {
    "key": "nps-survey",
    "name": "Survey after a visit",
    "purpose": "service",
    "subject": "One question from {{ store_name }}",
    "body": "Hello {{ first_name }}, how likely are you to recommend {{ store_name }} to a "
    "friend? One question, 0 to 10, at the link we send with it.",
    "whatsapp_variables": ["first_name", "store_name", "survey_url"],
}


def add_template(apps, schema_editor):
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    MessageTemplate.objects.get_or_create(key=TEMPLATE["key"], defaults=TEMPLATE)


def remove_template(apps, schema_editor):
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    MessageTemplate.objects.filter(key=TEMPLATE["key"]).delete()


class Migration(migrations.Migration):
    dependencies = [("outreach", "0005_campaigns")]

    operations = [migrations.RunPython(add_template, remove_template)]
