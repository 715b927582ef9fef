"""Follow-ups and styling sessions are part of a customer's export, and lose their words at
erasure while the team's figures and the stylist's diary keep the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from frontline.appointments.models import Booking
from frontline.followups.models import FollowUp, FollowUpEvent
from frontline.followups.services import followup_create
from frontline.privacy.services import customer_data_export, customer_erase
from tests.appointments.factories import BookingFactory, StylistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned_and_booked(household):
    followup = followup_create(
        by=household.manager,
        customer_id=household.customer.pk,
        assignee_id=household.associate.pk,
        due_on=timezone.localdate() + timedelta(days=2),
        reason="other",
        reason_text="Ask how the wedding went",
    )
    booking = BookingFactory(
        customer=household.customer,
        stylist=StylistFactory(store=household.store),
        notes="Looking for a suit for my sister's wedding",
        phone="+447700900123",
    )
    return followup, booking


def test_the_export_holds_the_follow_ups_and_the_bookings(household, planned_and_booked):
    followup, booking = planned_and_booked
    bundle = customer_data_export(by=household.manager, customer=household.customer)["data"]
    assert [row["id"] for row in bundle["followups"]["followups"]] == [followup.pk]
    assert bundle["followups"]["followups"][0]["reason_text"] == "Ask how the wedding went"
    (exported,) = bundle["appointments"]["bookings"]
    assert exported["notes"] == booking.notes and "token" not in exported


def test_erasure_keeps_the_rows_without_their_words(household, planned_and_booked):
    followup, booking = planned_and_booked
    customer_erase(by=household.manager, customer_id=household.customer.pk)
    followup = FollowUp.objects.get(pk=followup.pk)
    assert (followup.note, followup.status) == ("", "open")
    assert followup.reason_text == "Erased with the customer's data"
    assert not FollowUpEvent.objects.filter(followup=followup).exclude(data={}).exists()
    booking = Booking.objects.get(pk=booking.pk)
    assert (booking.notes, booking.phone, booking.email) == ("", "", "erased@invalid")
    assert booking.name == "Erased customer" and booking.starts_at is not None
