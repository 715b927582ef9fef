"""The e-mails and their calendar invites, parsed back with icalendar; changes by the customer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from icalendar import Calendar

from frontline.appointments import services
from frontline.appointments.models import BookingEmail, BookingStatus
from tests.appointments.conftest import MONDAY_10, NOW, book_monday
from tests.appointments.factories import StylistFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(store, service, stylist, tasks_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return book_monday(store, service, stylist, time_zone="Pacific/Auckland")


def invite_of(message) -> tuple[str, object]:
    """The METHOD and the VEVENT of the e-mail's text/calendar part."""
    parts = [
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    ]
    assert len(parts) == 1
    assert parts[0].get_filename() == "invite.ics"
    calendar = Calendar.from_ical(parts[0].get_payload(decode=True))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert parts[0].get_param("method") == str(calendar["METHOD"])
    return str(calendar["METHOD"]), events[0]


def test_the_confirmation_carries_an_invite_calendars_can_accept(booking):
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["grace@example.com"]
    method, event = invite_of(message)
    assert method == "REQUEST"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == MONDAY_10
    assert event.decoded("DTEND") == MONDAY_10 + timedelta(minutes=45)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:grace@example.com"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    # The customer's own zone in the text: 10:00 in London is 23:00 in Auckland.
    assert "23:00 (Pacific/Auckland)" in message.body
    # The link to change or cancel is signed for this booking (the signature carries a time).
    signed = re.search(r"/book/manage/([^/\s]+)/", message.body)
    assert signed is not None
    assert services.booking_from_manage_token(value=signed.group(1)) == booking


def test_a_reschedule_sends_the_same_uid_with_the_next_sequence(
    booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_reschedule(
            booking=booking, starts_at=MONDAY_10 + timedelta(days=1), now=NOW
        )
    method, event = invite_of(mail.outbox[-1])
    assert method == "REQUEST"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == MONDAY_10 + timedelta(days=1)


def test_a_cancellation_sends_method_cancel_with_the_next_sequence(
    booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.booking_cancel(booking=booking, now=NOW)
    assert cancelled.status == BookingStatus.CANCELLED
    method, event = invite_of(mail.outbox[-1])
    assert method == "CANCEL"
    assert str(event["UID"]) == booking.ical_uid
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"


def test_the_slot_is_free_again_after_a_cancellation(booking, store, service):
    services.booking_cancel(booking=booking, now=NOW)
    again = services.booking_create(
        service=service,
        store=store,
        stylist=booking.stylist,
        starts_at=MONDAY_10,
        details=services.CustomerDetails(
            first_name="B", last_name="", email="b@example.com", time_zone="UTC"
        ),
        now=NOW,
    )
    assert again.starts_at == MONDAY_10


def test_an_email_is_sent_once_however_often_the_task_runs(booking):
    for _ in range(3):
        services.booking_email_send(booking_id=booking.pk, kind="confirmation", sequence=0)
    assert len(mail.outbox) == 1
    assert BookingEmail.objects.get(booking=booking, kind="confirmation").sent_at is not None


def test_an_email_about_a_version_since_replaced_is_not_sent(booking):
    services.booking_reschedule(booking=booking, starts_at=MONDAY_10 + timedelta(days=1), now=NOW)
    assert not services.booking_email_send(booking_id=booking.pk, kind="reminder_24h", sequence=0)
    assert len(mail.outbox) == 1


def test_changes_stop_at_the_cutoff(booking, settings):
    settings.APPOINTMENTS_CHANGE_CUTOFF_HOURS = 12
    late = MONDAY_10 - timedelta(hours=11)
    with pytest.raises(services.ChangeRefused, match="12 hours"):
        services.booking_cancel(booking=booking, now=late)
    with pytest.raises(services.ChangeRefused):
        services.booking_reschedule(
            booking=booking, starts_at=MONDAY_10 + timedelta(days=1), now=late
        )
    booking.refresh_from_db()
    assert (booking.status, booking.sequence) == (BookingStatus.CONFIRMED, 0)


def test_a_reschedule_to_an_unavailable_time_changes_nothing(booking, store):
    other = StylistFactory(store=store)
    assert other  # a colleague free at 03:00 would not make 03:00 available to this stylist
    with pytest.raises(ValidationError):
        services.booking_reschedule(booking=booking, starts_at=MONDAY_10.replace(hour=3), now=NOW)
    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (MONDAY_10, 0)


def test_a_reschedule_may_move_within_its_own_time(booking):
    moved = services.booking_reschedule(
        booking=booking, starts_at=MONDAY_10 + timedelta(minutes=30), now=NOW
    )
    assert moved.starts_at == MONDAY_10 + timedelta(minutes=30)


def test_manage_links_are_signed_and_expire(booking, settings):
    token = services.booking_manage_token(booking=booking)
    assert services.booking_from_manage_token(value=token) == booking
    assert services.booking_from_manage_token(value=token[:-2] + "xx") is None
    assert services.booking_from_manage_token(value=signing.dumps(booking.token)) is None
    settings.APPOINTMENTS_MANAGE_LINK_DAYS = 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing, "time", _clock_ahead(days=2))
        assert services.booking_from_manage_token(value=token) is None


def _clock_ahead(*, days: int):
    import time as real_time

    class Clock:
        @staticmethod
        def time() -> float:
            return real_time.time() + days * 86400

    return Clock


def test_an_email_about_a_booking_that_is_gone_is_skipped(booking):
    booking_id = booking.pk
    booking.delete()
    assert not services.booking_email_send(booking_id=booking_id, kind="reminder_1h", sequence=0)
    assert not BookingEmail.objects.filter(booking_id=booking_id).exists()
