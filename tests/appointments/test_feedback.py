"""After the session: one question by e-mail, one tap, the answer on the customer's timeline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from frontline.appointments import services
from frontline.customers.models import Interaction
from tests.appointments.conftest import NOW

pytestmark = pytest.mark.django_db


def test_the_booking_is_on_the_customers_timeline_and_follows_its_changes(booking):
    entry = Interaction.objects.get(customer=booking.customer, kind="appointment")
    assert entry.channel == "video"
    assert entry.summary == "Booked virtual styling with Ada Stone, Mon 12 Jan 2026 10:00 (Soho)"
    services.booking_cancel(booking=booking, now=NOW)
    entry.refresh_from_db()
    assert entry.summary.startswith("Cancelled virtual styling")
    assert Interaction.objects.filter(customer=booking.customer).count() == 1


def test_the_question_goes_out_once_after_the_session(booking, tasks_run):
    ended = booking.ends_at
    assert services.booking_reminders_queue(now=ended + timedelta(minutes=10)) == 0
    services.booking_reminders_queue(now=ended + timedelta(minutes=31))
    services.booking_reminders_queue(now=ended + timedelta(minutes=36))
    asked = [m for m in mail.outbox if m.subject == "How was your styling session?"]
    assert len(asked) == 1
    assert not [
        part for part in asked[0].message().walk() if part.get_content_type() == "text/calendar"
    ]
    assert re.search(r"/book/feedback/[^/\s]+/", asked[0].body)


def test_one_tap_records_the_rating_on_the_timeline(client, booking, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: booking.ends_at + timedelta(hours=1))
    url = reverse("appointments:feedback", args=[services.booking_feedback_token(booking=booking)])
    page = client.get(url)
    assert page.status_code == 200
    assert b'aria-label="5 out of 5"' in page.content
    answer = client.post(url, {"rating": "2"})
    assert answer.status_code == 200
    assert b"2 out of 5" in answer.content
    booking.refresh_from_db()
    assert booking.rating == 2
    entry = Interaction.objects.get(customer=booking.customer, kind="comment")
    assert (entry.sentiment, entry.sentiment_score) == ("negative", -0.5)
    assert entry.summary == "Rated the virtual styling with Ada Stone 2/5"
    # Changing one's mind replaces the answer, it does not add another.
    client.post(url, {"rating": "5"})
    entry.refresh_from_db()
    assert (entry.sentiment, booking.__class__.objects.get(pk=booking.pk).rating) == ("positive", 5)


def test_a_rating_outside_1_to_5_or_before_the_session_is_refused(client, booking, monkeypatch):
    url = reverse("appointments:feedback", args=[services.booking_feedback_token(booking=booking)])
    monkeypatch.setattr("django.utils.timezone.now", lambda: booking.starts_at - timedelta(hours=1))
    assert client.post(url, {"rating": "4"}).status_code == 400
    monkeypatch.setattr("django.utils.timezone.now", lambda: booking.ends_at + timedelta(hours=1))
    assert client.post(url, {"rating": "6"}).status_code == 400
    assert client.post(url, {"rating": "five"}).status_code == 400
    booking.refresh_from_db()
    assert booking.rating is None
    assert not Interaction.objects.filter(customer=booking.customer, kind="comment").exists()


def test_a_forged_feedback_link_is_refused(client, booking):
    forged = services.booking_manage_token(booking=booking)  # signed, but for another purpose
    assert client.get(reverse("appointments:feedback", args=[forged])).status_code == 410
