"""Amounts shown as people read them: in their currency, by the conventions of the language
the page is in (Babel's CLDR data), never with a hard-coded symbol."""

from __future__ import annotations

import functools
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation


def money_text(
    amount: Decimal | float | int | str | None,
    currency: str | None = None,
    *,
    whole: bool = False,
) -> str:
    """``amount`` in ``currency`` (the brand's when not given), e.g. "£1,234.50" or "1 234,50 €".

    ``whole`` rounds to whole units, for amounts in prose ("spent £1,235 this year").
    """
    if amount is None or amount == "":
        return "—"
    return format_currency(
        Decimal(amount),
        currency or settings.BRAND_CURRENCY,
        locale=_locale(translation.get_language() or settings.LANGUAGE_CODE),
        format="¤#,##0" if whole else None,
        currency_digits=not whole,
    )


@functools.cache
def _locale(language: str) -> Locale:
    """Babel's locale for a language code, parsed once: given as text, every amount parsed it
    again, half the cost of formatting one (a page of key facts formats dozens)."""
    return Locale.parse(translation.to_locale(language))
