"""Templates for the kinds of follow-up and recommended action that the compose page opens
with (frontline.outreach.selectors.TEMPLATE_FOR_REASON / TEMPLATE_FOR_RULE). The brand edits
them in the back office like the first three."""

from django.db import migrations

TEMPLATES = [
    {
        "key": "new-arrivals",
        "name": "New arrivals",
        "purpose": "marketing",
        "subject": "New in at {{ store_name }}, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nA few new pieces arrived that made me think of you. "
        "Would you like me to set some aside for you to try?\n\n{{ associate_name }}, "
        "{{ store_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
    },
    {
        "key": "event-invite",
        "name": "Invitation to an event",
        "purpose": "marketing",
        "subject": "You are invited, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nWe are holding an evening for our clients at "
        "{{ store_name }} and I would love to see you there. Shall I put your name down?\n\n"
        "{{ associate_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
    },
    {
        "key": "service-recovery",
        "name": "Putting things right",
        "purpose": "service",
        "subject": "About your recent experience at {{ store_name }}",
        "body": "Hello {{ first_name }},\n\nI am sorry things did not go as they should have. "
        "I would like to put it right: reply here, or tell me when I may call you.\n\n"
        "{{ associate_name }}, {{ store_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
    },
    {
        "key": "occasion",
        "name": "A special day",
        "purpose": "marketing",
        "subject": "A special day coming up, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nYour special day is coming up. If you would like "
        "something for it, I would be glad to help you choose.\n\n{{ associate_name }}, "
        "{{ store_name }}",
        "whatsapp_variables": ["first_name", "associate_name"],
    },
    {
        "key": "check-in",
        "name": "Checking in",
        "purpose": "marketing",
        "subject": "It has been a while, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nWe have not seen you at {{ store_name }} for a "
        "while. Is there anything I can help you find?\n\n{{ associate_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
    },
    {
        "key": "back-in-stock",
        "name": "Back in stock",
        "purpose": "marketing",
        "subject": "Back in stock for you, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nGood news: a piece you wanted is back in stock.\n"
        "{{ wishlist }}\n\nShall I keep it for you? {{ associate_name }}, {{ store_name }}",
        "whatsapp_variables": ["first_name", "associate_name"],
    },
]


def add_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    for template in TEMPLATES:
        MessageTemplate.objects.update_or_create(key=template["key"], defaults=template)


def remove_templates(apps, schema_editor):
    MessageTemplate = apps.get_model("outreach", "MessageTemplate")
    MessageTemplate.objects.filter(key__in=[t["key"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("outreach", "0002_default_templates")]
    operations = [migrations.RunPython(add_templates, remove_templates)]
