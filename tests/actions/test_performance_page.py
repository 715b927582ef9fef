"""The managers' page of how each rule performs: scoped to the stores they manage, honest when
there is nothing to measure, and in the navigation for managers only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ActionOutcomeFactory,
    ActionSuggestionFactory,
    CustomerFactory,
    OrderFactory,
    StoreAssignmentFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
PAGE = "/actions/performance/"


@pytest.fixture
def store():
    return StoreFactory(name="Soho")


@pytest.fixture
def manager(store):
    return StoreAssignmentFactory(store=store, role="manager").user


def decided(store, kind: str, *, rule: str = "birthday_soon", days_ago: int = 1, **fields):
    return ActionOutcomeFactory(
        customer=CustomerFactory(preferred_store=store),
        rule=rule,
        kind=kind,
        decided_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


def rows_of(response) -> dict[str, object]:
    return {row.rule: row for row in response.context["rows"]}


def test_the_page_has_its_url():
    assert reverse("actions:performance") == PAGE


def test_associates_are_refused_and_visitors_sent_to_sign_in(client, store):
    assert client.get(PAGE).status_code == 302
    client.force_login(StoreAssignmentFactory(store=store, role="associate").user)
    assert client.get(PAGE).status_code == 403


def test_a_manager_sees_each_rules_figures_for_their_store_only(client, store, manager):
    accepted = decided(store, "accepted", days_ago=3)
    decided(store, "accepted", days_ago=2)
    OrderFactory(
        customer=accepted.customer,
        placed_at=timezone.now() - timedelta(days=1),
        total=Decimal(120),
    )
    decided(store, "snoozed", snoozed_until=timezone.now() + timedelta(days=7))
    decided(store, "dismissed", dismiss_reason="not_relevant")
    decided(store, "dismissed", dismiss_reason="not_relevant")
    decided(store, "dismissed", dismiss_reason="already_done")
    decided(store, "dismissed", rule="thank_you_purchase", dismiss_reason="wrong_data")
    decided(store, "accepted", days_ago=45)  # before the period
    ActionSuggestionFactory(customer=CustomerFactory(preferred_store=store))
    elsewhere = StoreFactory(name="Leeds")
    decided(elsewhere, "accepted", rule="lapsing_high_value")
    ActionSuggestionFactory(
        customer=CustomerFactory(preferred_store=elsewhere), rule="lapsing_high_value"
    )
    client.force_login(manager)

    response = client.get(PAGE)

    assert response.status_code == 200
    rows = rows_of(response)
    assert set(rows) == {"birthday_soon", "thank_you_purchase"}
    birthday = rows["birthday_soon"]
    assert (birthday.open_now, birthday.outcomes, birthday.accepted) == (1, 6, 2)
    assert (birthday.snoozed, birthday.dismissed, birthday.converted) == (1, 3, 1)
    assert [(r.reason, r.count) for r in birthday.top_dismiss_reasons] == [
        ("not_relevant", 2),
        ("already_done", 1),
    ]
    page = response.content.decode()
    assert "Birthday soon" in page
    assert "Not relevant for this customer (2)" in page
    assert "33%" in page  # acceptance: 2 of 6
    assert "50%" in page  # conversion: 1 of 2 accepted
    assert "Lapsing high-value customer" not in page
    assert "nothing to measure yet" not in page


def test_the_period_can_be_widened(client, store, manager):
    decided(store, "accepted", days_ago=45)
    client.force_login(manager)
    assert rows_of(client.get(PAGE)) == {}
    assert rows_of(client.get(PAGE + "?days=90"))["birthday_soon"].accepted == 1
    # A period the page does not understand falls back to the default, not to an error.
    assert client.get(PAGE + "?days=forever").context["days"] == 30


def test_a_superuser_sees_every_store(client, store):
    decided(store, "accepted")
    decided(StoreFactory(), "dismissed", dismiss_reason="customer_declined")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    row = rows_of(client.get(PAGE))["birthday_soon"]

    assert (row.accepted, row.dismissed) == (1, 1)


def test_with_no_decisions_the_page_says_so_and_shows_no_rates(client, store, manager):
    ActionSuggestionFactory(customer=CustomerFactory(preferred_store=store))
    client.force_login(manager)

    response = client.get(PAGE)

    page = response.content.decode()
    assert "nothing to measure yet" in page
    assert "%" not in page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows_of(response)["birthday_soon"].open_now == 1


def test_the_appointment_rule_is_active_now_that_sessions_are_booked(client, manager):
    client.force_login(manager)
    page = client.get(PAGE).content.decode()
    assert "Not active yet" not in page


def test_the_navigation_shows_the_page_to_managers_only(client, store, manager):
    link = f'href="{PAGE}"'
    client.force_login(StoreAssignmentFactory(store=store, role="associate").user)
    assert link not in client.get("/").content.decode()
    client.force_login(manager)
    home = client.get("/").content.decode()
    assert link in home
    assert ">Rule performance<" in home
