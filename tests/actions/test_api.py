"""The REST API: documented, scoped, 4xx with a message for bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from frontline.actions.models import ActionOutcome
from tests.factories import (
    ActionOutcomeFactory,
    ActionSuggestionFactory,
    CustomerFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return StoreFactory()


@pytest.fixture
def api(store):
    client = APIClient()
    client.force_authenticate(StoreAssignmentFactory(store=store).user)
    return client


@pytest.fixture
def suggestion(store):
    return ActionSuggestionFactory(customer=CustomerFactory(preferred_store=store), channel="")


def test_lists_a_customers_actions(api, suggestion):
    response = api.get(f"/api/actions/customers/{suggestion.customer_id}/")
    assert response.status_code == 200
    [action] = response.json()["actions"]
    assert action["reason"] == suggestion.reason
    assert action["rule_label"] == "Birthday soon"
    assert action["data"] == suggestion.data


def test_unknown_or_foreign_customer_is_404_with_a_message(api):
    foreign = CustomerFactory(preferred_store=StoreFactory())
    for customer_id in (foreign.pk, 999_999):
        response = api.get(f"/api/actions/customers/{customer_id}/")
        assert response.status_code == 404
        assert "detail" in response.json()


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/actions/customers/1/").status_code in (401, 403)


def test_accept_snooze_dismiss(api, store):
    customer = CustomerFactory(preferred_store=store)
    first, second, third = (
        ActionSuggestionFactory(customer=customer, rule=rule)
        for rule in ("birthday_soon", "lapsing_high_value", "thank_you_purchase")
    )
    accepted = api.post(f"/api/actions/{first.pk}/accept/", {"note": "calling"}, format="json")
    assert accepted.status_code == 201 and accepted.json()["kind"] == "accepted"
    snoozed = api.post(f"/api/actions/{second.pk}/snooze/", {"days": 3}, format="json")
    assert snoozed.status_code == 201 and snoozed.json()["snoozed_until"]
    dismissed = api.post(
        f"/api/actions/{third.pk}/dismiss/", {"reason": "wrong_data"}, format="json"
    )
    assert dismissed.status_code == 201
    assert ActionOutcome.objects.count() == 3


@pytest.mark.parametrize(
    ("verb", "body", "field"),
    [
        ("snooze", {"days": 0}, "days"),
        ("snooze", {}, "days"),
        ("dismiss", {"reason": "bored"}, "reason"),
        ("dismiss", {"reason": "other"}, "note"),
        ("accept", {"note": "x" * 501}, "note"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(api, suggestion, verb, body, field):
    response = api.post(f"/api/actions/{suggestion.pk}/{verb}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ActionOutcome.objects.exists()


def test_deciding_twice_is_404(api, suggestion):
    api.post(f"/api/actions/{suggestion.pk}/accept/", {}, format="json")
    response = api.post(f"/api/actions/{suggestion.pk}/accept/", {}, format="json")
    assert response.status_code == 404


def test_performance_is_for_managers_only(api, store):
    assert api.get("/api/actions/performance/").status_code == 403
    manager = APIClient()
    manager.force_authenticate(StoreAssignmentFactory(store=store, role="manager").user)
    ActionOutcomeFactory(
        customer=CustomerFactory(preferred_store=store),
        decided_at=timezone.now() - timedelta(days=1),
    )
    response = manager.get("/api/actions/performance/?days=7")
    assert response.status_code == 200
    assert response.json()[0]["acceptance_rate"] == 1.0
    assert manager.get("/api/actions/performance/?days=abc").status_code == 400


def test_recommendations_limit_is_checked(api, suggestion):
    url = f"/api/actions/customers/{suggestion.customer_id}/recommendations/"
    assert api.get(url).status_code == 200
    assert api.get(url + "?limit=0").status_code == 400


def test_the_endpoints_are_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "/api/actions/customers/{customer_id}/" in paths
    assert "400" in paths["/api/actions/{suggestion_id}/dismiss/"]["post"]["responses"]
    assert "/api/actions/performance/" in paths
