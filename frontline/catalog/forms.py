from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.catalog.services import MAX_HOLD_HOURS


class HoldForm(forms.Form):
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer_number = forms.CharField(
        required=False, max_length=20, label=_("Customer number"), strip=True
    )
    store = forms.IntegerField(label=_("Keep it at"))
    quantity = forms.IntegerField(label=_("Quantity"), initial=1)
    hours = forms.IntegerField(
        label=_("Keep for (hours)"), required=False, min_value=1, max_value=MAX_HOLD_HOURS
    )
    pickup_note = forms.CharField(label=_("Pickup note"), required=False, max_length=300)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if not cleaned.get("customer_id") and not cleaned.get("customer_number"):
            raise forms.ValidationError(_("Say which customer the item is for."))
        return cleaned


class ExtendForm(forms.Form):
    hours = forms.IntegerField(min_value=1, max_value=MAX_HOLD_HOURS, initial=24)


class DeclineForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200)


class WatchForm(forms.Form):
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer_number = forms.CharField(required=False, max_length=20, label=_("Customer number"))
    size = forms.CharField(max_length=10)
