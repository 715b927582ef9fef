from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from frontline.staff.models import User
from frontline.tablet.services import PIN_MAX_LENGTH, PIN_MIN_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _pin_field(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        min_length=PIN_MIN_LENGTH,
        max_length=PIN_MAX_LENGTH,
        strip=True,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )


class PinSetForm(forms.Form):
    """A new PIN, typed twice, confirmed with the account's password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    pin = _pin_field(_("New PIN (4 to 8 digits)"))
    pin_again = _pin_field(_("The PIN again"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                PasswordChangeForm.error_messages["password_incorrect"], code="password_incorrect"
            )
        return password

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("The two PINs differ."))
        return data


class UnlockForm(forms.Form):
    staff = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    pin = _pin_field(_("PIN"))
