"""The one place where contact points are normalised, so that matching compares like with like.

E-mail: trimmed and lower-cased (the local part is case-insensitive at every mail provider a
retailer's customers use, whatever RFC 5321 allows). Phone: E.164 through ``phonenumbers``,
read in the store's or customer's country when the number has no international prefix.
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

DEFAULT_REGION = "GB"
_DIGITS = re.compile(r"\D+")


def normalize_email(raw: str | None) -> str:
    """Lower-cased, trimmed e-mail; '' for nothing. Raises ValidationError when malformed."""
    if not raw or not raw.strip():
        return ""
    email = raw.strip().lower()
    validate_email(email)
    return email


def normalize_phone(raw: str | None, region: str | None = None) -> str:
    """E.164 phone number ('+447700900123'); '' for nothing. Raises ValidationError if invalid."""
    if not raw or not raw.strip():
        return ""
    not_a_phone_number = gettext("%(raw)s is not a phone number.")
    not_a_possible_phone_number = gettext("%(raw)s is not a possible phone number.")
    try:
        number = phonenumbers.parse(raw, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        # The library's explanation (error) is English only and adds nothing staff can act on.
        raise ValidationError(not_a_phone_number % {"raw": repr(raw)}) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(not_a_possible_phone_number % {"raw": repr(raw)})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    """Only the digits of what was typed: how a phone fragment is searched."""
    return _DIGITS.sub("", raw)
