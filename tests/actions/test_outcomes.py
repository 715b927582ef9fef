"""Accept, snooze, dismiss: each stored, each measurable; managers see the rates per rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from frontline.actions import services
from frontline.actions.models import ActionOutcome, ActionSuggestion
from frontline.actions.selectors import rule_performance
from tests.factories import (
    ActionOutcomeFactory,
    ActionSuggestionFactory,
    CustomerFactory,
    OrderFactory,
    StoreAssignmentFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

ACCEPTED_URLS: list[int] = []


def open_message_composer(outcome: ActionOutcome) -> str:
    """Stands in for the outreach domain's handler: it answers with the flow to open."""
    ACCEPTED_URLS.append(outcome.pk)
    return f"/outreach/compose/?customer={outcome.customer_id}"


@pytest.fixture
def store():
    return StoreFactory()


@pytest.fixture
def staff(store):
    return StoreAssignmentFactory(store=store).user


@pytest.fixture
def suggestion(store):
    return ActionSuggestionFactory(customer=CustomerFactory(preferred_store=store))


def test_accepting_stores_a_snapshot_and_removes_the_suggestion(staff, suggestion, store):
    result = services.action_accept(user=staff, suggestion_id=suggestion.pk, note="Will call")
    outcome = result.outcome
    assert (outcome.kind, outcome.rule, outcome.reason) == (
        "accepted",
        "birthday_soon",
        suggestion.reason,
    )
    assert outcome.data == suggestion.data
    assert (outcome.staff, outcome.store, outcome.note) == (staff, store, "Will call")
    assert result.next_url is None
    assert not ActionSuggestion.objects.filter(pk=suggestion.pk).exists()


def test_accept_handlers_are_the_seam_for_follow_ups_and_messages(staff, suggestion, settings):
    settings.ACTIONS_ACCEPT_HANDLERS = [f"{__name__}.open_message_composer"]
    result = services.action_accept(user=staff, suggestion_id=suggestion.pk)
    assert result.next_url == f"/outreach/compose/?customer={suggestion.customer_id}"
    assert result.outcome.pk in ACCEPTED_URLS


def test_a_suggestion_is_decided_once(staff, suggestion):
    services.action_accept(user=staff, suggestion_id=suggestion.pk)
    with pytest.raises(ActionSuggestion.DoesNotExist):
        services.action_dismiss(user=staff, suggestion_id=suggestion.pk, reason="already_done")
    assert ActionOutcome.objects.count() == 1


def test_staff_cannot_decide_for_customers_they_cannot_see(suggestion):
    outsider = StoreAssignmentFactory(store=StoreFactory()).user
    with pytest.raises(ActionSuggestion.DoesNotExist):
        services.action_accept(user=outsider, suggestion_id=suggestion.pk)
    assert ActionSuggestion.objects.filter(pk=suggestion.pk).exists()


def test_snoozing_needs_a_future_end_within_90_days(staff, suggestion):
    with pytest.raises(ValidationError, match="future"):
        services.action_snooze(
            user=staff, suggestion_id=suggestion.pk, until=timezone.now() - timedelta(hours=1)
        )
    with pytest.raises(ValidationError, match="90 days"):
        services.action_snooze(
            user=staff, suggestion_id=suggestion.pk, until=timezone.now() + timedelta(days=91)
        )
    until = timezone.now() + timedelta(days=3)
    outcome = services.action_snooze(user=staff, suggestion_id=suggestion.pk, until=until)
    assert outcome.snoozed_until == until


def test_dismissing_needs_a_known_reason_and_a_note_for_other(staff, suggestion):
    with pytest.raises(ValidationError, match="Choose one of"):
        services.action_dismiss(user=staff, suggestion_id=suggestion.pk, reason="meh")
    with pytest.raises(ValidationError, match="why"):
        services.action_dismiss(user=staff, suggestion_id=suggestion.pk, reason="other")
    assert ActionSuggestion.objects.filter(pk=suggestion.pk).exists()
    outcome = services.action_dismiss(
        user=staff, suggestion_id=suggestion.pk, reason="other", note="Moved abroad"
    )
    assert (outcome.kind, outcome.dismiss_reason) == ("dismissed", "other")


def test_managers_see_acceptance_and_conversion_per_rule(store):
    manager = StoreAssignmentFactory(store=store, role="manager").user
    now = timezone.now()
    customers = [CustomerFactory(preferred_store=store) for _ in range(4)]
    for customer in customers[:3]:
        ActionOutcomeFactory(
            customer=customer, kind="accepted", decided_at=now - timedelta(days=20)
        )
    ActionOutcomeFactory(
        customer=customers[3], kind="dismissed", dismiss_reason="not_relevant", decided_at=now
    )
    # Bought within the window after accepting: converted.
    OrderFactory(customer=customers[0], placed_at=now - timedelta(days=15), total=Decimal(50))
    # Bought, but too late (window 14 days): not converted.
    OrderFactory(customer=customers[1], placed_at=now - timedelta(days=1), total=Decimal(50))
    # Bought before accepting: not converted.
    OrderFactory(customer=customers[2], placed_at=now - timedelta(days=25), total=Decimal(50))
    other_store = ActionOutcomeFactory(kind="accepted")  # another store's figures stay out
    [row] = rule_performance(user=manager, since=now - timedelta(days=30))
    assert (row.rule, row.outcomes, row.accepted, row.dismissed, row.converted) == (
        "birthday_soon",
        4,
        3,
        1,
        1,
    )
    assert row.acceptance_rate == 0.75
    assert row.conversion_rate == pytest.approx(0.333, abs=0.001)
    assert other_store.store != store
