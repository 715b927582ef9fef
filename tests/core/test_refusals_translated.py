"""What the services refuse, staff read in their language (the store's, chosen at sign-in)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from frontline.customers.services import note_create
from frontline.outreach.rules import Refusal, check_text
from frontline.tablet.services import pin_set
from tests.factories import CustomerFactory, StoreFactory, staff_at

pytestmark = pytest.mark.django_db


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for messages in error.message_dict.values() for message in messages]


def test_a_refused_pin_is_explained_in_french_and_in_english():
    staff = staff_at(StoreFactory())
    with translation.override("fr"), pytest.raises(ValidationError) as french:
        pin_set(staff=staff, pin="12")
    with pytest.raises(ValidationError) as english:
        pin_set(staff=staff, pin="12")
    assert _messages(french.value)[0].startswith("Un code PIN compte de ")
    assert _messages(english.value)[0].startswith("A PIN is ")


def test_an_empty_note_is_refused_in_french():
    staff = staff_at(StoreFactory())
    customer = CustomerFactory()
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        note_create(customer=customer, author=staff, body="   ")
    assert "Une note ne peut pas être vide." in _messages(refused.value)


def test_an_outreach_refusal_names_the_channel_in_french():
    with translation.override("fr"), pytest.raises(Refusal) as refused:
        check_text("sms", "", "x" * 5000)
    assert "caractères" in str(refused.value) and "SMS" in str(refused.value)
