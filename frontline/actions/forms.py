"""Input of the outcome forms (HTML and API share the same rules through the services)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.actions.models import DismissReason

SNOOZE_CHOICES = [
    (1, _("1 day")),
    (3, _("3 days")),
    (7, _("1 week")),
    (14, _("2 weeks")),
    (30, _("1 month")),
]


class AcceptForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)


class SnoozeForm(forms.Form):
    days = forms.TypedChoiceField(choices=SNOOZE_CHOICES, coerce=int, initial=7)
    note = forms.CharField(max_length=500, required=False)

    def until(self) -> datetime:
        return timezone.now() + timedelta(days=self.cleaned_data["days"])


class DismissForm(forms.Form):
    reason = forms.ChoiceField(choices=DismissReason.choices)
    note = forms.CharField(max_length=500, required=False)
