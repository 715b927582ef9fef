"""An external video link for when the built-in room cannot work: the session's own, else the
stylist's, else the store's; on the customer's manage page, in the video room and the invite."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from frontline.appointments import selectors, services
from frontline.appointments.models import BookingEmail, StoreMeetingRoom
from tests.appointments.factories import BookingFactory

TEAMS = "https://teams.example.com/l/meetup-join/abc"


@pytest.fixture
def booking(db):
    return BookingFactory()


@pytest.fixture
def stylist_client(client, booking):
    client.force_login(booking.stylist.user)
    return client


def test_the_stylist_gives_the_session_a_link_the_customer_is_sent(
    booking, stylist_client, tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = stylist_client.post(
            reverse("appointments:meeting_link", args=[booking.pk]),
            {"external_meeting_url": TEAMS},
        )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.external_meeting_url, booking.sequence) == (TEAMS, 1)
    (message,) = [m for m in mail.outbox if m.subject == "Your styling session: how to join"]
    assert TEAMS in message.body
    invite = message.attachments[0].get_payload(decode=True).decode()
    assert "SEQUENCE:1" in invite
    assert "join here: https://teams.example.com" in invite.replace("\r\n ", "")
    assert BookingEmail.objects.filter(booking=booking, kind="updated", sequence=1).exists()

    manage = reverse("appointments:manage", args=[services.booking_manage_token(booking=booking)])
    assert TEAMS in stylist_client.get(manage).content.decode()
    room = reverse("appointments:customer_session", args=[booking.token])
    assert TEAMS in stylist_client.get(room).content.decode()


@pytest.mark.parametrize("bad", ["http://zoom.example.com/j/1", "javascript:alert(1)", "zoom"])
def test_a_link_that_is_not_https_is_refused(booking, stylist_client, bad):
    response = stylist_client.post(
        reverse("appointments:meeting_link", args=[booking.pk]), {"external_meeting_url": bad}
    )
    assert response.status_code == 400
    assert "Enter the meeting" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.external_meeting_url, booking.sequence) == ("", 0)


def test_the_stylists_link_then_the_stores_stand_in(booking):
    assert selectors.external_meeting_url(booking) == ""
    StoreMeetingRoom.objects.create(
        store=booking.store, external_meeting_url="https://meet.example.com/store"
    )
    assert selectors.external_meeting_url(booking) == "https://meet.example.com/store"
    booking.stylist.external_meeting_url = "https://zoom.example.com/my-room"
    booking.stylist.save()
    assert selectors.external_meeting_url(booking) == "https://zoom.example.com/my-room"
    booking.external_meeting_url = TEAMS
    assert selectors.external_meeting_url(booking) == TEAMS
