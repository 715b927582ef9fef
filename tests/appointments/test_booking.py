"""Booking a session through the service: the slot, the customer, the stylist, the side effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from frontline.appointments import services
from frontline.appointments.models import Booking, BookingStatus
from frontline.customers.models import Consent, Customer, CustomerIdentity, DuplicateCandidate
from frontline.notifications.models import NotificationRecipient
from tests.appointments.conftest import MONDAY_10, NOW
from tests.appointments.factories import StylistFactory
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def details(**overrides: object) -> services.CustomerDetails:
    fields: dict[str, object] = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "Grace.Hopper@Example.com",
        "phone": "07700 900123",
        "time_zone": "America/New_York",
        "occasion": "Wedding",
        "sizes": "Dress 12",
        "budget": "£500",
        "notes": "Prefers blue",
    }
    fields.update(overrides)
    return services.CustomerDetails(**fields)  # type: ignore[arg-type]


def book(store, service, stylist=None, *, starts_at=MONDAY_10, **detail_fields):
    return services.booking_create(
        service=service,
        store=store,
        stylist=stylist,
        starts_at=starts_at,
        details=details(**detail_fields),
        now=NOW,
    )


def test_a_booking_creates_the_customer_from_what_was_typed(store, service, stylist):
    booking = book(store, service, stylist)
    customer = booking.customer
    assert (customer.first_name, customer.last_name) == ("Grace", "Hopper")
    assert (customer.email, customer.phone) == ("grace.hopper@example.com", "+447700900123")
    assert CustomerIdentity.objects.filter(source="booking", customer=customer).exists()
    assert booking.ends_at - booking.starts_at == timedelta(minutes=service.duration_minutes)
    assert booking.blocks_until - booking.ends_at == timedelta(minutes=stylist.buffer_minutes)
    assert (booking.status, booking.sequence) == (BookingStatus.CONFIRMED, 0)
    assert len(booking.token) >= 40


def test_a_new_customer_becomes_the_stores_so_its_stylists_can_see_them(store, service, stylist):
    from frontline.customers.selectors import customers_in_stores_of

    booking = book(store, service, stylist)
    assert booking.customer.preferred_store == store
    assert customers_in_stores_of(stylist.user).filter(pk=booking.customer_id).exists()


def test_a_known_customer_keeps_their_own_store(store, service, stylist):
    known = CustomerFactory(
        first_name="Grace", last_name="Hopper", email="grace.hopper@example.com"
    )
    home = known.preferred_store
    assert home is not None and home != store
    booking = book(store, service, stylist)
    known.refresh_from_db()
    assert (booking.customer_id, known.preferred_store) == (known.pk, home)


def test_a_known_customer_is_matched_by_email_and_their_record_left_alone(store, service, stylist):
    known = CustomerFactory(
        first_name="Grace", last_name="Hopper", email="grace.hopper@example.com", phone=""
    )
    booking = book(store, service, stylist, first_name="Gracie", phone="07700 900999")
    assert booking.customer_id == known.pk
    known.refresh_from_db()
    assert (known.first_name, known.phone) == ("Grace", "")
    assert booking.name == "Gracie Hopper"
    assert Customer.objects.count() == 1


def test_a_known_customer_is_matched_by_phone(store, service, stylist):
    known = CustomerFactory(first_name="Grace", last_name="Hopper", phone="+447700900123")
    assert book(store, service, stylist, email="new@example.com").customer_id == known.pk


def test_an_uncertain_match_becomes_a_new_customer_and_goes_to_the_merge_review_queue(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks
):
    other_person = CustomerFactory(
        first_name="Alan", last_name="Turing", email="grace.hopper@example.com"
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(store, service, stylist)
    assert booking.customer_id != other_person.pk
    pair = sorted((booking.customer_id, other_person.pk))
    assert DuplicateCandidate.objects.filter(
        customer_id=pair[0], other_id=pair[1], status="open"
    ).exists()


def test_only_ticked_consents_are_recorded_as_grants(store, service, stylist):
    known = CustomerFactory(
        email="grace.hopper@example.com", first_name="Grace", last_name="Hopper"
    )
    Consent.objects.create(
        customer=known, channel="sms", purpose="marketing", granted=True, recorded_at=NOW
    )
    book(store, service, stylist, consents=(("email", "service"),))
    assert set(
        Consent.objects.filter(customer=known).values_list("channel", "purpose", "granted")
    ) == {("email", "service", True), ("sms", "marketing", True)}


def test_the_stylist_is_notified_of_a_new_booking(store, service, stylist):
    booking = book(store, service, stylist)
    recipient = NotificationRecipient.objects.select_related("notification").get(
        recipient=stylist.user
    )
    assert recipient.notification.kind == "appointment.booked"
    assert recipient.notification.link == f"/appointments/{booking.pk}/"


def test_any_stylist_goes_to_the_one_with_fewest_sessions_to_come(store, service, stylist):
    busier = stylist
    quieter = StylistFactory(store=store)
    book(store, service, busier, starts_at=MONDAY_10 + timedelta(days=1))
    assert book(store, service, None).stylist == quieter
    # Now one each: the tie goes to the longest-serving stylist.
    assert book(store, service, None, starts_at=MONDAY_10 + timedelta(hours=3)).stylist == busier


def test_a_taken_slot_answers_with_the_nearest_free_ones(store, service, stylist):
    book(store, service, stylist)
    with pytest.raises(services.SlotTaken) as taken:
        book(store, service, stylist, email="someone.else@example.com")
    assert taken.value.nearest_slots
    assert MONDAY_10 not in taken.value.nearest_slots
    # 45 minutes + 15 of buffer: the next free half hour is 11:00, the last before is 09:00.
    assert MONDAY_10 + timedelta(hours=1) in taken.value.nearest_slots
    assert Booking.objects.count() == 1
    assert Customer.objects.filter(email="someone.else@example.com").count() == 0


def test_a_slot_overlapping_a_session_and_its_buffer_is_taken(store, service, stylist):
    book(store, service, stylist)
    with pytest.raises(services.SlotTaken):
        book(store, service, stylist, starts_at=MONDAY_10 + timedelta(minutes=30), email="b@x.io")


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (MONDAY_10 + timedelta(minutes=10), "not available"),  # off the grid
        (MONDAY_10 - timedelta(hours=10), "not available"),  # before opening
        (MONDAY_10 + timedelta(days=6), "not available"),  # a Sunday
        (NOW - timedelta(hours=1), "has passed"),
        (NOW + timedelta(days=90), "not available"),  # beyond the horizon
    ],
)
def test_times_outside_availability_are_refused_with_a_field_error(
    store, service, stylist, starts_at, message
):
    with pytest.raises(ValidationError) as error:
        book(store, service, stylist, starts_at=starts_at)
    assert message in error.value.message_dict["slot"][0]
    assert not Booking.objects.exists()
    assert not Customer.objects.exists()


def test_bad_contact_details_are_refused_field_by_field(store, service, stylist):
    with pytest.raises(ValidationError) as error:
        book(
            store,
            service,
            stylist,
            first_name=" ",
            email="not-an-email",
            phone="12",
            time_zone="Mars/Base",
        )
    assert set(error.value.message_dict) == {"first_name", "email", "phone", "time_zone"}
    assert not Booking.objects.exists()


def test_a_stylist_of_another_store_cannot_be_booked_there(store, service, stylist):
    elsewhere = StylistFactory()
    with pytest.raises(ValidationError) as error:
        book(store, service, elsewhere)
    assert "stylist" in error.value.message_dict


def test_a_booking_queues_one_message_that_fans_out_to_its_follow_ups(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        book(store, service, stylist)
    # The stylist's live push, and one task for everything else: fifty customers booking at
    # once publish fifty messages, not a hundred and fifty.
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert tasks_run[0] == "frontline.appointments.tasks.booking_made_task"
    assert sorted(tasks_run[1:]) == [
        "frontline.actions.tasks.refresh_actions_for_customer_task",
        "frontline.appointments.tasks.send_booking_email_task",
        "frontline.customers.tasks.detect_duplicates_task",
    ]


def test_a_known_customers_booking_does_not_look_for_their_duplicates(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks
):
    CustomerFactory(first_name="Grace", last_name="Hopper", email="grace.hopper@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        book(store, service, stylist)
    assert "frontline.customers.tasks.detect_duplicates_task" not in tasks_run
    assert "frontline.appointments.tasks.send_booking_email_task" in tasks_run
