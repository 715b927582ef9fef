"""Reminders 24 h and 1 h before, from the beat task: due once, sent once, again after a move."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from frontline.appointments import services
from frontline.notifications.models import Notification
from tests.appointments.conftest import MONDAY_10, NOW, book_monday

pytestmark = pytest.mark.django_db


def subjects() -> list[str]:
    return [message.subject for message in mail.outbox]


def test_nothing_is_due_long_before(booking, tasks_run):
    assert services.booking_reminders_queue(now=MONDAY_10 - timedelta(hours=30)) == 0
    assert subjects() == []


def test_the_day_and_hour_reminders_are_sent_once_each(booking, tasks_run):
    day_before = MONDAY_10 - timedelta(hours=23, minutes=58)
    assert services.booking_reminders_queue(now=day_before) == 1
    # Beat runs again five minutes later: nothing more.
    assert services.booking_reminders_queue(now=day_before + timedelta(minutes=5)) == 0
    hour_before = MONDAY_10 - timedelta(minutes=59)
    assert services.booking_reminders_queue(now=hour_before) == 1
    assert services.booking_reminders_queue(now=hour_before + timedelta(minutes=5)) == 0
    assert subjects() == [
        "Your styling session is tomorrow",
        "Your styling session starts in an hour",
    ]


def test_a_session_booked_the_same_day_gets_no_day_reminder(store, service, stylist, tasks_run):
    booked_at = MONDAY_10 - timedelta(hours=5)
    book_monday(store, service, stylist, now=booked_at)
    services.booking_reminders_queue(now=booked_at + timedelta(minutes=5))
    assert subjects() == []
    services.booking_reminders_queue(now=MONDAY_10 - timedelta(minutes=55))
    assert subjects() == ["Your styling session starts in an hour"]


def test_a_moved_session_is_reminded_of_again(booking, tasks_run):
    services.booking_reminders_queue(now=MONDAY_10 - timedelta(hours=23))
    services.booking_reschedule(booking=booking, starts_at=MONDAY_10 + timedelta(days=1), now=NOW)
    services.booking_reminders_queue(now=MONDAY_10 + timedelta(hours=1))
    assert subjects() == ["Your styling session is tomorrow"] * 2


def test_a_cancelled_session_is_not_reminded_of(booking, tasks_run):
    services.booking_cancel(booking=booking, now=NOW)
    assert services.booking_reminders_queue(now=MONDAY_10 - timedelta(minutes=30)) == 0


def test_the_stylist_hears_ten_minutes_before_and_only_once(booking, tasks_run):
    for minutes in (9, 5):
        services.booking_reminders_queue(now=MONDAY_10 - timedelta(minutes=minutes))
    assert Notification.objects.filter(kind="appointment.starting_soon").count() == 1
