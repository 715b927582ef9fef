"""A few templates to start from; the brand edits them (and adds its own) in the back office.
The WhatsApp approval (its content SID) is the brand's to fill in once the provider approved it."""

from django.db import migrations

TEMPLATES = [
    {
        "key": "thank-you",
        "name": "Thank you for your visit",
        "purpose": "service",
        "subject": "Thank you for visiting {{ store_name }}",
        "body": "Hello {{ first_name }},\n\nThank you for coming in today. If anything needs "
        "adjusting, just reply to this message.\n\n{{ associate_name }}, {{ store_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
    },
    {
        "key": "wishlist",
        "name": "Your wishlist",
        "purpose": "marketing",
        "subject": "Pieces from your wishlist, {{ first_name }}",
        "body": "Hello {{ first_name }},\n\nI set these aside in my mind for you:\n"
        "{{ wishlist }}\n\nShall I keep one for you to try? {{ associate_name }}",
        "whatsapp_variables": ["first_name", "associate_name"],
    },
    {
        "key": "order-ready",
        "name": "Ready for collection",
        "purpose": "service",
        "subject": "Ready for you at {{ store_name }}",
        "body": "Hello {{ first_name }}, your pieces are ready for you at {{ store_name }}. "
        "{{ associate_name }}",
        "whatsapp_variables": ["first_name", "store_name"],
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
    dependencies = [("outreach", "0001_initial")]
    operations = [migrations.RunPython(add_templates, remove_templates)]
