from __future__ import annotations

from decimal import Decimal

from django import template

from frontline.core.money import money_text

register = template.Library()


@register.filter
def money(amount: Decimal | float | int | str | None, currency: str | None = None) -> str:
    """``{{ order.total|money:order.currency }}``; the brand's currency when none is given."""
    return money_text(amount, currency)
