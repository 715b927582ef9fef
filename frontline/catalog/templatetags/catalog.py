"""Template tags other domains use to show catalog data (e.g. on the customer profile)."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

from frontline.catalog import selectors
from frontline.customers.models import Customer

register = template.Library()


@register.simple_tag
def customer_url(customer: Customer) -> str:
    """The customer's profile page, once the customers domain provides one."""
    try:
        return reverse("customers:profile", args=[customer.pk])
    except NoReverseMatch:
        return ""


@register.inclusion_tag("catalog/_customer_holds.html", takes_context=True)
def customer_holds(context: template.Context, customer: Customer) -> dict[str, object]:
    """``{% customer_holds customer %}``: the customer's holds the staff member may see."""
    user = context["request"].user
    holds = selectors.holds_for_customer(user=user, customer=customer)[:20]
    return {"customer": customer, "holds": holds}
