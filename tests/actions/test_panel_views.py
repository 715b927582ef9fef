"""The panels an associate uses: forms that work without JavaScript, htmx swapping in place."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.actions.models import ActionOutcome, ActionSuggestion
from tests.factories import (
    ActionSuggestionFactory,
    CustomerFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def store():
    return StoreFactory()


@pytest.fixture
def signed_in(client, store):
    client.force_login(StoreAssignmentFactory(store=store).user)
    return client


@pytest.fixture
def suggestion(store):
    return ActionSuggestionFactory(
        customer=CustomerFactory(preferred_store=store, first_name="Ada"), channel=""
    )


def panel_url(customer_id: int) -> str:
    return reverse("actions:customer_panel", args=[customer_id])


def test_the_panel_shows_reason_data_and_the_three_decisions(signed_in, suggestion):
    response = signed_in.get(panel_url(suggestion.customer_id))
    page = response.content.decode()
    assert response.status_code == 200
    assert suggestion.reason in page
    assert "Why?" in page and "Days until" in page
    for name in ("accept", "snooze", "dismiss"):
        assert f'action="{reverse(f"actions:{name}", args=[suggestion.pk])}"' in page
    assert "For this customer" in page


def test_htmx_gets_only_the_fragment(signed_in, suggestion):
    response = signed_in.get(panel_url(suggestion.customer_id), **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith("<section")
    assert "<html" not in page


def test_an_empty_panel_says_so(signed_in, store):
    customer = CustomerFactory(preferred_store=store, first_name="Ada")
    assert (
        "Nothing to do for Ada right now." in signed_in.get(panel_url(customer.pk)).content.decode()
    )


def test_another_stores_customer_is_404(signed_in):
    elsewhere = CustomerFactory(preferred_store=StoreFactory())
    assert signed_in.get(panel_url(elsewhere.pk)).status_code == 404


def test_login_is_required(client, suggestion):
    assert client.get(panel_url(suggestion.customer_id)).status_code == 302


def test_accepting_without_javascript_redirects_back_to_the_page(signed_in, suggestion):
    back = f"/customers/{suggestion.customer_id}/"
    response = signed_in.post(reverse("actions:accept", args=[suggestion.pk]), {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    assert ActionOutcome.objects.get().kind == "accepted"


def test_an_offsite_next_is_ignored(signed_in, suggestion):
    response = signed_in.post(
        reverse("actions:accept", args=[suggestion.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == panel_url(suggestion.customer_id)


def test_dismissing_with_htmx_swaps_the_panel_without_the_suggestion(signed_in, suggestion):
    response = signed_in.post(
        reverse("actions:dismiss", args=[suggestion.pk]), {"reason": "already_done"}, **HTMX
    )
    assert response.status_code == 200
    assert "Nothing to do for Ada right now." in response.content.decode()
    assert ActionOutcome.objects.get().dismiss_reason == "already_done"


def test_dismissing_without_a_reason_is_refused_and_keeps_the_suggestion(signed_in, suggestion):
    response = signed_in.post(reverse("actions:dismiss", args=[suggestion.pk]), {}, **HTMX)
    assert response.status_code == 400
    assert "Choose why you dismiss it." in response.content.decode()
    assert ActionSuggestion.objects.filter(pk=suggestion.pk).exists()


def test_snoozing_takes_one_of_the_offered_periods(signed_in, suggestion):
    bad = signed_in.post(reverse("actions:snooze", args=[suggestion.pk]), {"days": "999"}, **HTMX)
    assert bad.status_code == 400
    good = signed_in.post(reverse("actions:snooze", args=[suggestion.pk]), {"days": "7"})
    assert good.status_code == 302
    assert ActionOutcome.objects.get().kind == "snoozed"


def test_a_suggestion_already_handled_is_404(signed_in, suggestion):
    signed_in.post(reverse("actions:accept", args=[suggestion.pk]))
    assert signed_in.post(reverse("actions:accept", args=[suggestion.pk])).status_code == 404
