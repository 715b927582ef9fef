"""The stylists' side: their day, their sessions to come, and preparing one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from frontline.appointments import selectors, services
from tests.appointments.conftest import MONDAY_10, NOW
from tests.appointments.factories import StylistFactory
from tests.factories import TEST_PASSWORD, StoreAssignmentFactory, StoreFactory

pytestmark = pytest.mark.django_db


def book(stylist, starts_at, email="grace@example.com"):
    return services.booking_create(
        service=stylist.services.get(),
        store=stylist.store,
        stylist=stylist,
        starts_at=starts_at,
        details=services.CustomerDetails(
            first_name="Grace", last_name="Hopper", email=email, time_zone="UTC", occasion="Gala"
        ),
        now=NOW,
    )


def test_appointments_for_day_lists_the_stylists_own_sessions_of_that_day(stylist, store):
    colleague = StylistFactory(store=store)
    mine = book(stylist, MONDAY_10)
    book(stylist, MONDAY_10 + timedelta(days=1))
    book(colleague, MONDAY_10, email="other@example.com")
    assert selectors.appointments_for_day(staff=stylist.user, day=date(2026, 1, 12)) == [mine]
    assert selectors.appointments_for_day(staff=stylist.user, day=date(2026, 1, 11)) == []


def test_appointments_for_day_reads_the_day_on_the_stores_clock():
    # 21:00 UTC on Monday 12 January is 10:00 on Tuesday the 13th in Auckland (UTC+13).
    auckland = StoreFactory(code="akl", name="Auckland", country="NZ", time_zone="Pacific/Auckland")
    stylist = StylistFactory(store=auckland)
    session = book(stylist, MONDAY_10.replace(hour=21))
    assert selectors.appointments_for_day(staff=stylist.user, day=date(2026, 1, 13)) == [session]
    assert selectors.appointments_for_day(staff=stylist.user, day=date(2026, 1, 12)) == []


def test_someone_who_is_not_a_stylist_has_no_day_of_sessions(associate):
    assert selectors.appointments_for_day(staff=associate, day=date(2026, 1, 12)) == []


def test_the_pages_need_a_login(client):
    response = client.get(reverse("appointments:list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_stylist_sees_their_sessions_and_prepares_one(client, stylist, monkeypatch):
    booking = book(stylist, MONDAY_10)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    client.login(username=stylist.user.username, password=TEST_PASSWORD)
    page = client.get(reverse("appointments:list"))
    assert page.status_code == 200
    assert b"Grace Hopper" in page.content
    detail = client.get(reverse("appointments:detail", args=[booking.pk]))
    assert detail.status_code == 200
    assert b"Gala" in detail.content
    assert reverse("customers:profile", args=[booking.customer_id]).encode() in detail.content


def test_staff_of_another_store_cannot_open_a_session(client, stylist):
    booking = book(stylist, MONDAY_10)
    outsider = StoreAssignmentFactory(store=StoreFactory(code="elsewhere")).user
    client.login(username=outsider.username, password=TEST_PASSWORD)
    assert client.get(reverse("appointments:detail", args=[booking.pk])).status_code == 404
    assert b"Grace Hopper" not in client.get(reverse("appointments:list")).content
