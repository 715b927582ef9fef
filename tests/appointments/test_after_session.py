"""After the session the stylist records what came of it: the booking is completed (or a
no-show), the outcome and notes land on the customer's timeline, and a follow-up is planned
through the follow-ups domain when asked for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from frontline.appointments import services
from frontline.appointments.models import BookingStatus, LookbookItem
from frontline.customers.models import Interaction
from frontline.followups.models import FollowUp
from frontline.followups.selectors import store_today
from frontline.surveys.models import About, Survey
from tests.appointments.factories import BookingFactory, StylistFactory
from tests.catalog.shop import build_shop
from tests.factories import ConsentFactory, CustomerFactory


@pytest.fixture
def shop(db):
    return build_shop()


@pytest.fixture
def stylist(shop):
    return StylistFactory(store=shop.here, user__first_name="Ada", user__last_name="Stone")


@pytest.fixture
def booking(shop, stylist):
    """A session that started an hour ago."""
    return BookingFactory(
        customer=shop.customer,
        stylist=stylist,
        starts_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def stylist_client(client, stylist):
    client.force_login(stylist.user)
    return client


def record(client, booking, **fields):
    return client.post(reverse("appointments:outcome", args=[booking.pk]), fields)


def outcome_entries(booking):
    return Interaction.objects.filter(external_id=f"booking-{booking.pk}-outcome")


def test_the_outcome_notes_and_a_follow_up_land_on_the_customers_record(
    shop, booking, stylist, stylist_client
):
    day = store_today(shop.here) + timedelta(days=7)
    response = record(
        stylist_client,
        booking,
        outcome="follow_up",
        notes="Loved the navy crew; wants it in L when it comes back.",
        follow_up_on=day.isoformat(),
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.outcome) == (BookingStatus.COMPLETED, "follow_up")
    assert booking.outcome_recorded_by == stylist.user
    (entry,) = outcome_entries(booking)
    assert entry.customer == shop.customer
    assert entry.summary.startswith("Interested: following up: virtual styling with Ada Stone")
    assert "wants it in L" in entry.summary
    assert entry.sentiment == "positive"  # "Loved the navy crew": scored like every note
    followup = FollowUp.objects.get(customer=shop.customer)
    assert (followup.assignee, followup.due_on, followup.store) == (stylist.user, day, shop.here)
    assert followup.reason == "check_in"


def test_held_items_are_counted_on_the_timeline_and_a_no_show_is_one(
    shop, booking, stylist, stylist_client
):
    item = LookbookItem.objects.create(booking=booking, variant=shop.navy_m, position=1)
    stylist_client.post(
        reverse("appointments:lookbook_item", args=[booking.pk, item.pk]), {"action": "hold"}
    )
    record(stylist_client, booking, outcome="held", notes="")
    assert "1 item held from the lookbook" in outcome_entries(booking).get().summary

    # Recording again corrects the record: one timeline entry, the new outcome.
    record(stylist_client, booking, outcome="no_show")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    (entry,) = outcome_entries(booking)
    assert entry.summary.startswith("The customer did not come")


def test_an_outcome_before_the_session_is_refused(shop, stylist, stylist_client):
    upcoming = BookingFactory(customer=shop.customer, stylist=stylist)
    response = record(stylist_client, upcoming, outcome="purchased")
    assert response.status_code == 400
    assert "has not taken place yet" in response.content.decode()
    upcoming.refresh_from_db()
    assert (upcoming.status, upcoming.outcome) == (BookingStatus.CONFIRMED, "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"outcome": "follow_up"}, "Choose the day to get back in touch."),
        ({"outcome": "follow_up", "follow_up_on": "2001-01-01"}, "Choose today or a later day"),
        ({"outcome": "follow_up", "follow_up_on": "31/02/2030"}, "Enter a valid date."),
        ({"outcome": "sold_everything"}, "Select a valid choice."),
        ({"outcome": "purchased", "notes": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_is_the_fields_error_and_records_nothing(
    booking, stylist_client, fields, message
):
    response = record(stylist_client, booking, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.outcome) == (BookingStatus.CONFIRMED, "")
    assert not outcome_entries(booking).exists()
    assert not FollowUp.objects.exists()


def test_another_stores_staff_get_404(shop, booking, client):
    client.force_login(shop.other_associate)
    assert record(client, booking, outcome="purchased").status_code == 404
    booking.refresh_from_db()
    assert booking.outcome == ""


# --- The NPS question after a session (surveys domain) ----------------------------------------


def questions_sent(booking, **when):
    """The subjects of the e-mails sent, after the reminders' job ran (only questions are due:
    the session is over)."""
    services.booking_reminders_queue(now=booking.ends_at + timedelta(**when))
    return [message.subject for message in mail.outbox]


def test_a_completed_session_asks_the_nps_question_once_instead_of_the_rating(
    shop, booking, stylist, stylist_client, tasks_run, django_capture_on_commit_callbacks
):
    ConsentFactory(customer=shop.customer, purpose="service")
    with django_capture_on_commit_callbacks(execute=True):
        record(stylist_client, booking, outcome="purchased", notes="Took the navy crew.")
    survey = Survey.objects.get(customer=shop.customer)
    assert (survey.about, survey.about_key) == (About.APPOINTMENT, f"booking:{booking.pk}")
    assert (survey.associate, survey.store) == (stylist.user, booking.store)
    assert survey.sent_at is not None

    # Correcting the outcome asks nothing more, and the one-tap rating e-mail is not sent.
    with django_capture_on_commit_callbacks(execute=True):
        record(stylist_client, booking, outcome="held")
    subjects = questions_sent(booking, hours=2)
    assert Survey.objects.filter(customer=shop.customer).count() == 1
    assert "How was your styling session?" not in subjects
    assert len(subjects) == 1


def test_no_nps_question_for_a_no_show_or_without_consent_and_the_rating_still_goes(
    shop, booking, stylist_client, tasks_run, django_capture_on_commit_callbacks
):
    # No consent to service e-mails: no survey, the session's own rating e-mail instead.
    with django_capture_on_commit_callbacks(execute=True):
        record(stylist_client, booking, outcome="purchased")
    assert not Survey.objects.exists()
    assert questions_sent(booking, hours=2) == ["How was your styling session?"]

    other = BookingFactory(
        customer=CustomerFactory(), stylist=booking.stylist, starts_at=booking.ends_at
    )
    ConsentFactory(customer=other.customer, purpose="service")
    with django_capture_on_commit_callbacks(execute=True):
        record(stylist_client, other, outcome="no_show")
    assert not Survey.objects.exists()
