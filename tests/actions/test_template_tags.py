"""The profile page can include the panels server-side, without an htmx round trip."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from tests.factories import (
    ActionSuggestionFactory,
    CustomerFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db
PROFILE = Template(
    "{% load actions_panels %}"
    "{% actions_panel customer_id %}{% recommendations_panel customer_id %}"
)


def render_for(user, customer_id: int) -> str:
    request = RequestFactory().get(f"/customers/{customer_id}/")
    request.user = user
    return PROFILE.render(Context({"request": request, "customer_id": customer_id}))


def test_the_panels_render_inside_another_page_with_forms_back_to_it():
    store = StoreFactory()
    staff = StoreAssignmentFactory(store=store).user
    # No contact channel: a contact suggestion is held back in quiet hours, and this test
    # renders at whatever time of day it runs.
    suggestion = ActionSuggestionFactory(
        customer=CustomerFactory(preferred_store=store), channel=""
    )
    html = render_for(staff, suggestion.customer_id)
    assert suggestion.reason in html
    assert f'value="/customers/{suggestion.customer_id}/"' in html  # back to the profile
    assert "For this customer" in html


def test_another_stores_customer_shows_recommendations_but_not_that_stores_actions():
    """Suggested actions are the customer's store's work; product ideas follow the profile."""
    staff = StoreAssignmentFactory(store=StoreFactory()).user
    suggestion = ActionSuggestionFactory(
        customer=CustomerFactory(preferred_store=StoreFactory()), channel=""
    )
    html = render_for(staff, suggestion.customer_id)
    assert suggestion.reason not in html
    assert "For this customer" in html


def test_a_customer_nobody_may_find_renders_nothing():
    staff = StoreAssignmentFactory(store=StoreFactory()).user
    survivor = CustomerFactory()
    suggestion = ActionSuggestionFactory(customer=CustomerFactory(merged_into=survivor))
    assert render_for(staff, suggestion.customer_id).strip() == ""
