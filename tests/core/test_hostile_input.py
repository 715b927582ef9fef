"""Hostile text in every text field: refused with a field error, or stored and shown escaped.

The fields are found, not listed: every form of the app (frontline/*/forms.py) and every
serializer its API reads input with (``X(data=...)`` or ``input_serializer = X`` in
frontline/*/api.py), so a text field added tomorrow is covered the day it is added. Each hostile
value must come out of validation as a field error or as text PostgreSQL can store and the field
can hold; never as an exception. What is stored is then shown escaped on the pages and in the API
(the end-to-end tests below), never executed. Run on PostgreSQL too, where a NUL would be a 500.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError as FormValidationError
from django.core.validators import MaxLengthValidator
from django.test import Client
from django.urls import reverse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.test import APIClient

import frontline
from frontline.customers.models import Customer, CustomerNote, CustomerPreference, WishlistItem
from tests.catalog.shop import build_shop

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script><img src=x onerror=alert(1)>"
HOSTILE = {
    "very long": "Ada " * 50_000,
    "control characters": "Ada\x00Love\x01lace\x07\x1b[31m\u202egnirts\x7f",
    "html and javascript": SCRIPT,
    "sql fragment": "Robert'); DROP TABLE customers_customer;-- \" OR 1=1 /*",
}

# Forms that take more than data when created: what each is given in the app.
FORM_ARGUMENTS = {
    "CustomerCreateForm": lambda user: {"user": user},
    "ErasureConfirmForm": lambda user: {"expected_name": "Ada Lovelace"},
    "PinSetForm": lambda user: {"user": user},
}


def _app_modules(kind: str) -> Iterator[object]:
    for module in pkgutil.iter_modules(frontline.__path__):
        try:
            yield importlib.import_module(f"frontline.{module.name}.{kind}")
        except ModuleNotFoundError:
            continue


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def app_forms() -> list[type[forms.BaseForm]]:
    list(_app_modules("forms"))
    return sorted(
        (cls for cls in _subclasses(forms.BaseForm) if cls.__module__.startswith("frontline.")),
        key=lambda cls: f"{cls.__module__}.{cls.__name__}",
    )


def input_serializers() -> list[type[serializers.Serializer]]:
    found = []
    for module in _app_modules("api"):
        source = Path(module.__file__).read_text()  # type: ignore[attr-defined]
        names = set(re.findall(r"\b([A-Z]\w+)\(data=", source))
        names |= set(re.findall(r"input_serializer = ([A-Z]\w+)", source))
        found += [getattr(module, name) for name in sorted(names) if hasattr(module, name)]
    return found


def label(cls: type) -> str:
    """domain.ClassName: two domains may each have a SnoozeForm."""
    return f"{cls.__module__.split('.')[1]}.{cls.__name__}"


def text_fields_of_forms() -> list[tuple[str, str]]:
    return [
        (label(cls), name)
        for cls in app_forms()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.CharField)
    ]


def text_fields_of_serializers() -> list[tuple[str, str]]:
    return [
        (label(cls), name)
        for cls in input_serializers()
        for name, field in cls().fields.items()
        if isinstance(field, serializers.CharField) and not field.read_only
    ]


FORM_FIELDS = text_fields_of_forms()
SERIALIZER_FIELDS = text_fields_of_serializers()


def test_the_fields_are_found():
    # Guards the discovery itself: a refactor that hid the forms would otherwise pass vacuously.
    assert ("customers.CustomerCreateForm", "first_name") in FORM_FIELDS
    assert ("appointments.BookingDetailsForm", "notes") in FORM_FIELDS
    assert ("customers.NoteCreateSerializer", "body") in SERIALIZER_FIELDS
    assert ("customers.CustomerCreateSerializer", "last_name") in SERIALIZER_FIELDS
    assert len(FORM_FIELDS) > 30 and len(SERIALIZER_FIELDS) > 15


def _storable(value: object, field: forms.Field | serializers.Field) -> None:
    """What validation let through can be stored as it is: no NUL, and within the length the
    field enforces (the sign-in form's username has no such limit, and stores nothing)."""
    if isinstance(value, str):
        assert "\x00" not in value
        for validator in field.validators:
            if isinstance(validator, MaxLengthValidator):
                assert len(value) <= validator.limit_value


@pytest.fixture
def shop():
    return build_shop()


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("form_name", "field_name"), FORM_FIELDS)
def test_every_form_text_field_refuses_or_keeps_hostile_text_safely(
    shop, form_name, field_name, kind
):
    cls = next(cls for cls in app_forms() if label(cls) == form_name)
    extra = FORM_ARGUMENTS.get(cls.__name__, lambda user: {})(shop.associate)
    form = cls(data={field_name: HOSTILE[kind]}, **extra)
    form.is_valid()  # Any exception here fails the test: a refusal is a field error.
    field = form.fields[field_name]
    if field_name in form.errors:
        assert all(str(message) for message in form.errors[field_name])
    else:
        _storable(form.cleaned_data.get(field_name), field)
    try:
        cleaned = field.clean(HOSTILE[kind])
    except FormValidationError as error:
        assert error.messages
    else:
        _storable(cleaned, field)


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("serializer_name", "field_name"), SERIALIZER_FIELDS)
def test_every_api_text_field_refuses_or_keeps_hostile_text_safely(
    shop, serializer_name, field_name, kind
):
    cls = next(cls for cls in input_serializers() if label(cls) == serializer_name)
    field = cls().fields[field_name]
    try:
        cleaned = field.run_validation(HOSTILE[kind])
    except ApiValidationError as error:
        assert error.detail
    else:
        _storable(cleaned, field)


# --- Stored and shown escaped, end to end ------------------------------------------------------


def _escaped_everywhere(page: str) -> None:
    assert "<script>alert" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(" in page


def test_hostile_text_typed_on_the_profile_is_shown_escaped(shop):
    browser = Client()
    browser.force_login(shop.associate)
    customer = shop.customer
    for name, data in (
        ("note_add", {"body": SCRIPT}),
        ("wishlist_add", {"description": SCRIPT}),
        ("preference_add", {"kind": "colour", "value": SCRIPT}),
    ):
        response = browser.post(reverse(f"customers:{name}", args=[customer.pk]), data)
        assert response.status_code in (200, 302), name
    assert CustomerNote.objects.get().body == SCRIPT
    assert WishlistItem.objects.get().description == SCRIPT
    assert CustomerPreference.objects.get().value == SCRIPT[:120]
    page = browser.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    assert page.count("&lt;script&gt;alert(") >= 3
    _escaped_everywhere(page)


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_text_through_the_api_is_refused_or_returned_as_data(shop, kind):
    api = APIClient()
    api.force_authenticate(shop.associate)
    created = api.post(
        reverse("api:customers:search"),
        {"first_name": HOSTILE[kind], "last_name": HOSTILE[kind], "store": shop.here.pk},
        format="json",
    )
    assert created.status_code in (201, 400), created.content[:300]
    # A name may well contain quotes and angle brackets: those are kept, as data.
    assert created.status_code == 201 or kind in ("very long", "control characters")
    if created.status_code == 400:
        assert created.json()["errors"]
        return
    customer = Customer.objects.get(pk=created.json()["id"])
    note = api.post(
        reverse("api:customers:notes", args=[customer.pk]), {"body": HOSTILE[kind]}, format="json"
    )
    assert note.status_code in (201, 400)
    profile = api.get(reverse("api:customers:profile", args=[customer.pk]))
    assert profile.status_code == 200
    assert profile["Content-Type"] == "application/json"
    assert json.loads(profile.content)["customer"]["first_name"] == customer.first_name
    browser = Client()
    browser.force_login(shop.associate)
    page = browser.get(reverse("customers:profile", args=[customer.pk])).content.decode()
    if kind == "html and javascript":
        _escaped_everywhere(page)
