"""Forms of the customers domain: input only; the service decides what is valid and saves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontline.staff.models import Store, User
from frontline.staff.selectors import stores_for


class CustomerCreateForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False, label=_("First name"))
    last_name = forms.CharField(max_length=100, required=False, label=_("Last name"))
    email = forms.CharField(
        max_length=254,
        required=False,
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=_("Phone"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    postcode = forms.CharField(max_length=16, required=False, label=_("Postcode"))
    store = forms.ModelChoiceField(queryset=Store.objects.none(), label=_("Their store"))

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Only the signed-in associate's own stores can be chosen; with one store, it is that.
        field = self.fields["store"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = stores_for(user).order_by("name")
        stores = list(field.queryset[:2])
        self.only_store = stores[0] if len(stores) == 1 else None
        if self.only_store:
            field.required = False
            field.widget = forms.HiddenInput()

    def clean_store(self) -> Store | None:
        return self.cleaned_data.get("store") or self.only_store
