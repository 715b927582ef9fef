"""The appointment_prepare action: a session within 48 hours puts "prepare" on the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from frontline.actions.models import ActionSuggestion
from frontline.actions.registry import registry
from frontline.appointments import services
from tests.actions.conftest import chunk_for, findings
from tests.appointments.conftest import MONDAY_10, NOW, book_monday

pytestmark = pytest.mark.django_db

RULE = registry.get("appointment_prepare")


@pytest.fixture
def booking(store, service, stylist):
    return book_monday(store, service, stylist, occasion="a wedding")


def test_the_rule_is_registered_from_the_appointments_app():
    assert RULE is not None and RULE.contact_purpose is None


def test_a_session_within_two_days_is_to_prepare(booking):
    facts = findings(RULE, chunk_for(booking.customer, now=MONDAY_10 - timedelta(hours=20)))
    assert facts[booking.customer_id]["booking_id"] == booking.pk
    assert facts[booking.customer_id]["hours_until"] == 20
    assert RULE.reason(facts[booking.customer_id]) == (
        "Virtual styling with Ada in 20 hours (Mon 12 Jan 10:00, Soho) for a wedding: "
        "prepare a selection in their sizes."
    )
    sooner = RULE.score({**facts[booking.customer_id], "hours_until": 2})
    assert sooner > RULE.score(facts[booking.customer_id])


def test_a_session_further_away_or_cancelled_is_not(booking):
    assert findings(RULE, chunk_for(booking.customer, now=MONDAY_10 - timedelta(hours=49))) == {}
    services.booking_cancel(booking=booking, now=NOW)
    assert findings(RULE, chunk_for(booking.customer, now=MONDAY_10 - timedelta(hours=20))) == {}


def test_booking_refreshes_the_customers_actions(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks, monkeypatch
):
    # Booked 30 hours ahead: the refresh that follows the booking already finds it.
    monkeypatch.setattr("django.utils.timezone.now", lambda: MONDAY_10 - timedelta(hours=30))
    with django_capture_on_commit_callbacks(execute=True):
        booking = book_monday(store, service, stylist, now=None)
    assert "frontline.actions.tasks.refresh_actions_for_customer_task" in tasks_run
    assert ActionSuggestion.objects.filter(
        customer=booking.customer, rule="appointment_prepare"
    ).exists()
