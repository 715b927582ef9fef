"""Every choice label of the domain models is translatable and has a French translation, while
text stored from labels stays in the brand's language whatever language is active."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone, translation
from django.utils.functional import Promise

from frontline.catalog.models import Hold
from frontline.outreach.models import Status
from frontline.privacy.retention import interactions_retention_apply
from frontline.sync.models import Run
from tests.factories import CustomerFactory, InteractionFactory

# Labels that are the same word in French (brand and product names, acronyms).
SAME_IN_FRENCH = {
    "Frontline",
    "E-commerce",
    "Style",
    "CRM",
    "ERP",
    "SMS",
    "WhatsApp",
    "E-mail",
    "Marketing",
    "Webhook",
}
SAME_IN_FRENCH |= {"Confirmation", "Stock", "VIP", "Active", "Note", "Lookbook", "Message"}


def _choice_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("frontline."):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "choices", None) and field.name not in ("language", "time_zone"):
                yield model, field


def test_every_choice_label_of_the_domain_models_is_lazy_and_translated():
    untranslated = []
    for model, field in _choice_fields():
        for value, label in field.flatchoices:
            name = f"{model.__name__}.{field.name}={value}"
            if not isinstance(label, Promise):
                untranslated.append(f"{name} (not lazy)")
                continue
            with translation.override("en"):
                english = str(label)
            with translation.override("fr"):
                french = str(label)
            if french == english and english not in SAME_IN_FRENCH and not english.isdigit():
                untranslated.append(f"{name} ({english!r} not translated)")
    assert untranslated == [], "\n".join(untranslated)


def test_labels_follow_the_active_language():
    with translation.override("fr"):
        assert str(Hold.Status.COMPLETED.label) == "Vendue"
        assert str(Status.UNDELIVERED.label) == "Non distribué"
        assert str(Run.Status.SUCCEEDED.label) == "Réussie"
    assert str(Hold.Status.COMPLETED.label) == "Sold"


@pytest.mark.django_db
def test_stored_text_built_from_labels_stays_in_the_brand_s_language():
    customer = CustomerFactory()
    old = InteractionFactory(
        customer=customer,
        kind="complaint",
        channel="phone",
        occurred_at=timezone.now() - timedelta(days=4 * 365),
    )
    with translation.override("fr"):
        assert interactions_retention_apply(retention_days=365) == 1
    old.refresh_from_db()
    assert old.summary == "Complaint (Phone); details removed after the retention period"
