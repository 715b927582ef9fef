from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.privacy.selectors import names_match


class ErasureConfirmForm(forms.Form):
    """The manager types the customer's name: an erasure cannot be undone, so it is never one
    mistaken tap away."""

    confirm_name = forms.CharField(
        label=_("Type the customer's full name to confirm"), max_length=201, strip=True
    )

    def __init__(self, *args: Any, expected_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected_name = expected_name

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"]
        if not names_match(typed, self.expected_name):
            raise forms.ValidationError(_("That is not the customer's name; nothing was erased."))
        return typed
