"""Small helpers every connector's mapping uses to turn a source's fields into Frontline's.

A mapping raises ``MappingError`` with a reason a person can act on; the engine quarantines
that record and lands the rest of the page.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime

from frontline.customers.normalize import normalize_email, normalize_phone

# Exports that already hold E.164 numbers (most ERPs and CRMs) skip the full phonenumbers
# parse, which costs ~40 µs a number and would dominate a million-customer import.
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class MappingError(ValueError):
    """The record cannot be mapped; the message says why."""


def required(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        raise MappingError(f"{name} is missing")
    return str(value).strip()


def text(raw: dict[str, Any], name: str, *, limit: int) -> str:
    value = raw.get(name)
    return "" if value is None else str(value).strip()[:limit]


def email(value: Any) -> str:
    try:
        return normalize_email(None if value is None else str(value))
    except ValidationError:
        raise MappingError(f"e-mail {value!r} is not valid") from None


def phone(value: Any, region: str | None = None) -> str:
    if value is None or str(value).strip() == "":
        return ""
    candidate = str(value).strip()
    if _E164.match(candidate):
        return candidate
    try:
        return normalize_phone(candidate, region or None)
    except ValidationError:
        raise MappingError(f"phone {value!r} is not valid") from None


def decimal(value: Any, name: str, *, places: int = 2, signed: bool = False) -> Decimal:
    """A number with at most ``places`` decimals, kept exactly as the source sent it.

    A value with more decimals than the column keeps is refused with the reason, never
    rounded: 0.001 stored as 0.00 is a price nobody asked for.
    """
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise MappingError(f"{name} {value!r} is not a number") from None
    if not number.is_finite():
        raise MappingError(f"{name} {value!r} is not a number")
    if number < 0 and not signed:
        raise MappingError(f"{name} {value!r} must be zero or more")
    try:
        exact = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise MappingError(f"{name} {value!r} is too large") from None
    if exact != number:
        raise MappingError(f"{name} {value!r} has more than {places} decimals")
    return exact


def whole_number(value: Any, name: str, *, minimum: int | None = 0) -> int:
    """An int; ``minimum=None`` takes negative numbers too."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise MappingError(f"{name} {value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise MappingError(f"{name} {value!r} must be at least {minimum}")
    return number


def moment(value: Any, name: str) -> datetime:
    """An aware datetime from ISO 8601 text (naive times are read as UTC)."""
    text = str(value).strip() if value else ""
    try:
        parsed = parse_datetime(text.replace("Z", "+00:00")) if text else None
        if parsed is None and len(text) == 10:
            day = parse_date(text)
            parsed = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise MappingError(f"{name} {value!r} is not a date and time")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def optional_date(value: Any, name: str) -> date | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        parsed = parse_date(str(value).strip()[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        raise MappingError(f"{name} {value!r} is not a date")
    return parsed


def country(value: Any) -> str:
    code = "" if value is None else str(value).strip().upper()
    if code and not re.fullmatch(r"[A-Z]{2}", code):
        raise MappingError(f"country {value!r} is not an ISO 3166 two-letter code")
    return code
