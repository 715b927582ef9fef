"""LazyChoiceLabels: get_FOO_display() gives what Django's own gives, in every language, for
every choice of every field of the models that use it (it only translates less)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import translation

from frontline.core.choices import LazyChoiceLabels


def models_with_cheap_labels() -> list[type[Model]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, LazyChoiceLabels) and any(f.choices for f in model._meta.fields)
    ]


def test_the_associates_models_use_it():
    names = {model.__name__ for model in models_with_cheap_labels()}
    assert {"Customer", "FollowUp", "FollowUpEvent", "Booking", "Interaction"} <= names


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_label_is_the_one_django_gives(language):
    checked = 0
    with translation.override(language):
        for model in models_with_cheap_labels():
            for field in (f for f in model._meta.fields if f.choices):
                for value, _ in [*field.flatchoices, ("not-a-choice", "")]:
                    try:
                        instance = model(**{field.attname: value})
                    except ValidationError:
                        continue  # a field that refuses what is not a choice (time zones)
                    ours = getattr(instance, f"get_{field.name}_display")()
                    djangos = Model._get_FIELD_display(instance, field)
                    assert ours == djangos, (model.__name__, field.name, value)
                    checked += 1
    assert checked > 50


def test_a_french_label_is_french():
    from frontline.customers.models import Customer

    with translation.override("fr"):
        assert Customer(tier="member").get_tier_display() == translation.pgettext(
            "customer", "Member"
        )
        assert Customer(tier="member").get_tier_display() != "Member"
