"""Choice labels read cheaply when they are translated lazily."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str


class LazyChoiceLabels(models.Model):
    """``get_FOO_display()`` that translates only the label it returns.

    Django's own builds a dictionary of every choice and so hashes every label, and hashing a
    lazily translated label translates it: a field of ten choices costs ten catalogue lookups
    (twenty with a context) each time one label is shown. On the associate's day, with
    tiers, statuses and reasons in every card, that was about 1,300 lookups a page. Same
    answer, one lookup.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:
        value = getattr(self, field.attname)
        for choice, label in field.flatchoices:
            if choice == value:
                return force_str(label, strings_only=True)
        return force_str(value, strings_only=True)
