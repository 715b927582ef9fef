"""A customer's e-mails speak the language of the store they booked at, whatever language was
active when the e-mail was sent (Celery tasks have no request to choose one)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from frontline.appointments import services
from tests.appointments.conftest import MONDAY_10, NOW, book_monday

pytestmark = pytest.mark.django_db


def _booked(store, service, stylist, capture):
    with capture(execute=True):
        return book_monday(store, service, stylist, time_zone="Europe/Paris")


def test_a_french_store_s_customer_gets_french_e_mails(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks
):
    store.language = "fr"
    store.save(update_fields=["language"])
    with translation.override("en"):  # what the sender had active does not matter
        booking = _booked(store, service, stylist, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(booking=booking, now=NOW)
    confirmation, cancellation = mail.outbox
    assert confirmation.subject == "Votre séance de stylisme est réservée"
    assert confirmation.body.startswith("Bonjour Grace Hopper,")
    assert "Votre séance est réservée." in confirmation.body
    # Dates in French too, in the customer's zone (10:00 in London is 11:00 in Paris).
    assert "lundi 12 janvier 2026, 11:00 (Europe/Paris)" in confirmation.body
    assert "10:00 heure du magasin (Europe/London)" in confirmation.body
    assert "Your" not in confirmation.body
    assert cancellation.subject == "Votre séance de stylisme est annulée"
    assert "est annulé" in cancellation.body


def test_an_english_store_s_customer_gets_english_e_mails_whatever_is_active(
    store, service, stylist, tasks_run, django_capture_on_commit_callbacks
):
    with translation.override("fr"):
        booking = _booked(store, service, stylist, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_reschedule(
                booking=booking, starts_at=MONDAY_10 + timedelta(days=1), now=NOW
            )
    confirmation, moved = mail.outbox
    assert confirmation.subject == "Your styling session is booked"
    assert confirmation.body.startswith("Hello Grace Hopper,")
    assert "Monday 12 January 2026, 11:00 (Europe/Paris)" in confirmation.body
    assert moved.subject == "Your styling session has moved"
    assert "Your session has moved." in moved.body
