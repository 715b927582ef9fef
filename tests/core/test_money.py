"""Amounts in their own currency, written the way the page's language writes them."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from frontline.core.money import money_text


def test_each_order_keeps_its_currency():
    assert money_text(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert money_text(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert money_text(Decimal("1234.5"), "JPY") == "¥1,234"  # yen have no minor unit


def test_net_spend_below_zero_is_written_as_such():
    assert money_text(Decimal("-2.9"), "GBP") == "-£2.90"


def test_the_language_decides_how_an_amount_is_written():
    with translation.override("fr"):
        assert money_text(Decimal("1234.5"), "EUR") == "1\u202f234,50\xa0€"


def test_prose_rounds_to_whole_units_in_the_brand_currency(settings):
    settings.BRAND_CURRENCY = "EUR"
    assert money_text(Decimal("1234.5"), whole=True) == "€1,234"


def test_the_template_filter_and_an_unknown_amount():
    template = Template("{% load money %}{{ total|money:currency }} {{ nothing|money }}")
    assert template.render(Context({"total": "89.00", "currency": "EUR"})) == "€89.00 —"
