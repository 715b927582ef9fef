"""The video room's pages: the customer's by token, the stylist's behind the login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from frontline.appointments.models import Service
from tests.appointments.factories import BookingFactory, ServiceFactory
from tests.factories import TEST_PASSWORD, StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_the_customer_opens_the_room_with_the_token_alone(client):
    booking = BookingFactory()
    page = client.get(reverse("appointments:customer_session", args=[booking.token]))
    assert page.status_code == 200
    assert f'data-socket-path="/ws/sessions/c/{booking.token}/"'.encode() in page.content
    assert b'id="ice-servers"' in page.content


def test_before_its_time_the_room_says_when_it_opens(client):
    booking = BookingFactory(starts_at=timezone.now() + timedelta(days=2))
    page = client.get(reverse("appointments:customer_session", args=[booking.token]))
    assert b"The video room opens at" in page.content
    assert b"data-video-session" not in page.content


def test_an_in_store_session_or_a_wrong_token_has_no_room(client):
    in_store = BookingFactory(service=ServiceFactory(slug="in-store", kind=Service.Kind.IN_STORE))
    assert (
        client.get(reverse("appointments:customer_session", args=[in_store.token])).status_code
        == 404
    )
    assert client.get(reverse("appointments:customer_session", args=["nope"])).status_code == 404


def test_the_stylists_room_needs_a_login_and_their_store(client):
    booking = BookingFactory()
    url = reverse("appointments:session", args=[booking.pk])
    assert client.get(url).status_code == 302
    client.login(username=booking.stylist.user.username, password=TEST_PASSWORD)
    page = client.get(url)
    assert page.status_code == 200
    assert f'data-socket-path="/ws/sessions/{booking.pk}/"'.encode() in page.content
    outsider = StoreAssignmentFactory(store=StoreFactory(code="far")).user
    client.login(username=outsider.username, password=TEST_PASSWORD)
    assert client.get(url).status_code == 404


def test_the_invite_and_email_point_to_the_video_room(settings):
    from frontline.appointments import services

    booking = BookingFactory()
    services.booking_email_send(booking_id=booking.pk, kind="confirmation", sequence=0)
    room = settings.SITE_URL + reverse("appointments:customer_session", args=[booking.token])
    assert room in mail.outbox[0].body
    assert room in mail.outbox[0].message().as_string().replace("\r\n ", "")
