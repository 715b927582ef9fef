"""Events refresh a customer's recommended actions without waiting for the nightly batch.

A refresh names customers, never a range: only those customers are recomputed, set-based, and a
whole set (a page of synced orders) costs one task. Notes, profile edits and interactions
logged in the back office refresh the customer once their transaction commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from frontline.actions import engine, services
from frontline.actions.models import ActionSuggestion
from frontline.customers import services as customers
from frontline.customers.models import Interaction
from tests.factories import ActionSuggestionFactory, ConsentFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def birthday_today():
    today = timezone.localdate()
    return date(1990, today.month, today.day)


def customer_with_birthday_soon(**fields):
    customer = CustomerFactory(birthday=birthday_today(), **fields)
    ConsentFactory(customer=customer, purpose="marketing")
    return customer


def rules_of(customer) -> set[str]:
    return set(ActionSuggestion.objects.filter(customer=customer).values_list("rule", flat=True))


# --- Refreshing a set of customers ------------------------------------------------------------


def test_refreshing_a_set_recomputes_exactly_those_customers():
    first, between, last = (customer_with_birthday_soon() for _ in range(3))
    # A suggestion the refresh must not touch: ``between`` lies inside the set's id range.
    kept = ActionSuggestionFactory(customer=between, rule="lapsing_high_value")

    written = services.actions_refresh_for_customers(customer_ids=[last.pk, first.pk, first.pk])

    assert written == 2
    assert rules_of(first) == rules_of(last) == {"birthday_soon"}
    assert list(ActionSuggestion.objects.filter(customer=between)) == [kept]


def test_a_set_larger_than_a_chunk_is_computed_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(engine, "REFRESH_CHUNK_IDS", 2)
    people = [customer_with_birthday_soon() for _ in range(5)]

    assert services.actions_refresh_for_customers(customer_ids=[p.pk for p in people]) == 5
    assert all(rules_of(person) == {"birthday_soon"} for person in people)


def test_a_refresh_of_a_set_removes_what_no_longer_applies():
    customer = CustomerFactory()
    ActionSuggestionFactory(customer=customer, rule="birthday_soon")

    services.actions_refresh_for_customers(customer_ids=[customer.pk])

    assert rules_of(customer) == set()


def test_a_set_is_one_task_queued_after_commit(tasks_run, django_capture_on_commit_callbacks):
    people = [customer_with_birthday_soon() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        services.actions_refresh_for_customers_on_commit(customer_ids={p.pk for p in people})
        assert tasks_run == []  # nothing before the commit

    assert tasks_run == ["frontline.actions.tasks.refresh_actions_for_customers_task"]
    assert all(rules_of(person) == {"birthday_soon"} for person in people)


def test_an_empty_set_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        services.actions_refresh_for_customers_on_commit(customer_ids=[])
    assert callbacks == []


# --- Events in the customers domain -----------------------------------------------------------


def test_a_new_note_refreshes_the_customers_actions(tasks_run, django_capture_on_commit_callbacks):
    customer = customer_with_birthday_soon()
    assert rules_of(customer) == set()  # the nightly batch has not seen them yet

    with django_capture_on_commit_callbacks(execute=True):
        customers.note_create(customer=customer, author=UserFactory(), body="Loves navy.")

    assert rules_of(customer) == {"birthday_soon"}


def test_setting_a_birthday_shows_the_greeting_at_once(
    tasks_run, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    ConsentFactory(customer=customer, purpose="marketing")

    with django_capture_on_commit_callbacks(execute=True):
        customers.customer_important_dates_set(
            customer=customer, birthday=birthday_today(), anniversary=None, by=UserFactory()
        )

    assert rules_of(customer) == {"birthday_soon"}


def test_a_complaint_logged_in_the_back_office_brings_the_complaint_action(
    client, tasks_run, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    ConsentFactory(customer=customer, purpose="service")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    yesterday = timezone.localtime() - timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/customers/interaction/add/",
            {
                "customer": customer.pk,
                "channel": "phone",
                "kind": "complaint",
                "sentiment": "negative",
                "summary": "Coat seam split after a week",
                "source": "frontline",
                "occurred_at_0": yesterday.strftime("%Y-%m-%d"),
                "occurred_at_1": yesterday.strftime("%H:%M:%S"),
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    suggestion = ActionSuggestion.objects.get(customer=customer)
    assert suggestion.rule == "complaint_unresolved"
    assert "Coat seam split" in suggestion.reason


def test_removing_the_complaint_in_the_back_office_takes_the_action_away(
    client, tasks_run, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    ConsentFactory(customer=customer, purpose="service")
    complaint = Interaction.objects.create(
        customer=customer,
        channel="phone",
        kind="complaint",
        summary="Logged on the wrong customer",
        occurred_at=timezone.now() - timedelta(days=1),
    )
    services.actions_refresh_for_customer(customer_id=customer.pk)
    assert rules_of(customer) == {"complaint_unresolved"}
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/customers/interaction/",
            {"action": "delete_selected", "_selected_action": [complaint.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Interaction.objects.exists()
    assert rules_of(customer) == set()
