"""Server-side includes of the panels, for pages that render them without an htmx round trip.

On the customer profile::

    {% load actions_panels %}
    {% actions_panel customer.pk %}
    {% recommendations_panel customer.pk %}

Both check visibility like the views do: a customer the staff member may not see renders
nothing.
"""

from __future__ import annotations

from typing import Any

from django import template

from frontline.actions import selectors
from frontline.actions.forms import SNOOZE_CHOICES
from frontline.actions.models import DismissReason
from frontline.customers.models import Customer
from frontline.recommendations.selectors import recommendation_list

register = template.Library()
PANELS = "actions/customer_panels.html"


@register.inclusion_tag(f"{PANELS}#actions-panel", takes_context=True)
def actions_panel(context: template.Context, customer_id: int) -> dict[str, Any]:
    request = context["request"]
    try:
        current = selectors.actions_for_customer(user=request.user, customer_id=customer_id)
    except Customer.DoesNotExist:
        return {"hidden": True}
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "customer": current.customer,
        "current": current,
        "snooze_choices": SNOOZE_CHOICES,
        "dismiss_reasons": DismissReason.choices,
        "back_to": request.get_full_path(),
    }


@register.inclusion_tag(f"{PANELS}#recommendations-panel", takes_context=True)
def recommendations_panel(context: template.Context, customer_id: int) -> dict[str, Any]:
    request = context["request"]
    try:
        found = recommendation_list(user=request.user, customer_id=customer_id)
    except Customer.DoesNotExist:
        return {"hidden": True}
    return {"request": request, "suggestions": found, "customer_id": customer_id}
