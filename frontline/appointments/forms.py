"""The booking page's forms: what a stranger may send, bounded and checked field by field."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime

from django import forms
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from frontline.appointments.models import Booking, Service, SessionOutcome, Stylist
from frontline.core.converters import id_from_text
from frontline.customers.models import ConsentChannel, ConsentPurpose
from frontline.staff.models import Store

ANY_PREFIX, STYLIST_PREFIX = "store-", "stylist-"


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def consent_choices() -> list[tuple[str, str]]:
    return [
        (f"{channel.value}:{purpose.value}", f"{channel.label}: {purpose.label.lower()}")
        for purpose in ConsentPurpose
        for channel in ConsentChannel
    ]


class SessionChoiceForm(forms.Form):
    """Step one (GET, so every step is a link that works without JavaScript)."""

    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(is_active=True), widget=forms.RadioSelect, empty_label=None
    )
    with_whom = forms.ChoiceField(label=gettext_lazy("Where and with whom"))
    tz = forms.ChoiceField(label=gettext_lazy("Your time zone"), choices=time_zone_choices)
    day = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices: list[tuple[str, object]] = []
        stylists = Stylist.objects.filter(
            is_bookable=True, user__is_active=True, store__is_active=True
        ).select_related("user", "store")
        by_store: dict[Store, list[Stylist]] = {}
        for stylist in stylists.order_by("store__name", "user__first_name", "pk"):
            by_store.setdefault(stylist.store, []).append(stylist)
        for store, members in by_store.items():
            any_stylist = gettext("Any stylist at %(store)s") % {"store": store.name}
            options = [(f"{ANY_PREFIX}{store.pk}", any_stylist)]
            options += [
                (f"{STYLIST_PREFIX}{m.pk}", _stylist_at(m.display_name, store.name))
                for m in members
            ]
            choices.append((store.name, options))
        with_whom = self.fields["with_whom"]
        assert isinstance(with_whom, forms.ChoiceField)
        with_whom.choices = choices
        self.stylists = {
            stylist.pk: stylist for members in by_store.values() for stylist in members
        }
        self.stores = {store.pk: store for store in by_store}

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        value = str(data.get("with_whom") or "")
        data["stylist"] = None
        if value.startswith(STYLIST_PREFIX):
            stylist = self.stylists[int(value.removeprefix(STYLIST_PREFIX))]
            data["stylist"], data["store"] = stylist, stylist.store
        elif value.startswith(ANY_PREFIX):
            data["store"] = self.stores[int(value.removeprefix(ANY_PREFIX))]
        return data

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.cleaned_data["tz"])

    def chosen_day(self) -> date | None:
        return self.cleaned_data.get("day")


def _stylist_at(name: str, store: str) -> str:
    return gettext("%(stylist)s at %(store)s") % {"stylist": name, "store": store}


def parse_slot(value: str | None) -> datetime | None:
    """A slot as the page sends it (ISO 8601 in UTC), or None when it is not one."""
    if not value:
        return None
    try:
        slot = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if slot.tzinfo is None:
        return None
    return slot.astimezone(UTC)


def _bounded(model_field: str) -> int:
    field = Booking._meta.get_field(model_field)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


class BookingDetailsForm(forms.Form):
    """Step three (POST): who the customer is and what the session is for."""

    slot = forms.CharField(widget=forms.HiddenInput, max_length=40)
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Last name"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=gettext_lazy("Your confirmation and calendar invite go here."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    occasion = forms.CharField(
        label=gettext_lazy("Occasion"),
        max_length=_bounded("occasion"),
        required=False,
        help_text=gettext_lazy("A wedding, a new job, a trip…"),
    )
    sizes = forms.CharField(
        label=gettext_lazy("Sizes"),
        max_length=_bounded("sizes"),
        required=False,
        help_text=gettext_lazy("The sizes you usually wear, e.g. dress 12, shoes 39."),
    )
    budget = forms.CharField(
        label=gettext_lazy("Budget"), max_length=_bounded("budget"), required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Anything your stylist should know."),
    )
    consents = forms.MultipleChoiceField(
        choices=consent_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("You may contact me"),
    )
    # A field people never see and bots fill in.
    website = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_slot(self) -> datetime:
        slot = parse_slot(self.cleaned_data["slot"])
        if slot is None:
            raise forms.ValidationError(gettext("Choose one of the times shown."))
        return slot

    def consent_pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (channel, purpose)
            for channel, _, purpose in (
                value.partition(":") for value in self.cleaned_data.get("consents", [])
            )
        )

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class RescheduleForm(forms.Form):
    slot = forms.CharField(max_length=40)

    def clean_slot(self) -> datetime:
        slot = parse_slot(self.cleaned_data["slot"])
        if slot is None:
            raise forms.ValidationError(gettext("Choose one of the times shown."))
        return slot


# --- The stylist's side: lookbook, outcome, video link ----------------------------------------


class IdField(forms.Field):
    """A database id posted by a page; anything else is the field's error, never a 500."""

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        number = id_from_text(str(value).strip())
        if number is None:
            raise forms.ValidationError(gettext("Choose one of the items shown."))
        return number


class LookbookAddForm(forms.Form):
    variant = IdField(label=gettext_lazy("Size and colour"))
    note = forms.CharField(
        label=gettext_lazy("Your note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LookbookSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search products"), max_length=100, required=False)


class LookbookItemForm(forms.Form):
    ACTIONS = ("note", "up", "down", "remove", "hold")

    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS])
    note = forms.CharField(
        label=gettext_lazy("Your note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("What came of it"),
        choices=SessionOutcome.choices,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes for the customer's timeline"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    follow_up_on = forms.DateField(
        label=gettext_lazy("Follow up on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "A follow-up for you on that day (needed for “Interested: following up”)."
        ),
    )


class MeetingLinkForm(forms.Form):
    external_meeting_url = forms.CharField(
        label=gettext_lazy("External video link"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=gettext_lazy(
            "For when the built-in video room cannot work; leave empty for none."
        ),
    )
