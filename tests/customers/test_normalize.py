from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from frontline.customers.normalize import normalize_email, normalize_phone, phone_digits


@pytest.mark.parametrize(
    "raw, expected",
    [("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"), ("", ""), (None, "")],
)
def test_emails_are_trimmed_and_lower_cased(raw, expected):
    assert normalize_email(raw) == expected


def test_a_malformed_email_is_refused():
    with pytest.raises(ValidationError):
        normalize_email("ada@")


@pytest.mark.parametrize(
    "raw, region, expected",
    [
        ("07700 900123", "GB", "+447700900123"),
        ("+44 (0)7700-900123", None, "+447700900123"),
        ("0044 7700 900123", "GB", "+447700900123"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_phones_in_any_format_become_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+44 12"])
def test_impossible_phones_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_phone_digits_keeps_only_digits():
    assert phone_digits("+44 (0)7700-900 123") == "4407700900123"
