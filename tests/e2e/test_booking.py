"""A customer books a styling session on a phone, far from the store, in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from frontline.appointments.models import Booking
from tests.appointments.factories import ServiceFactory, StylistFactory
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

AUCKLAND = ZoneInfo("Pacific/Auckland")


@pytest.fixture
def phone_in_auckland(browser) -> Iterator[object]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        timezone_id="Pacific/Auckland",
    )
    page = context.new_page()
    # Each step is a page load that searches the stylist's whole horizon; a busy machine (the
    # suite runs in parallel) can take several seconds over one.
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_a_customer_far_away_books_in_their_own_time_zone(
    phone_in_auckland, live_server, tasks_run
):
    page = phone_in_auckland
    store = StoreFactory(code="soho", name="Soho", country="GB", time_zone="Europe/London")
    ServiceFactory()
    StylistFactory(store=store, user__first_name="Ada", user__last_name="Stone")

    page.goto(f"{live_server.url}/book/")
    # The browser's zone replaces the store's in the first step.
    assert page.get_by_label("Your time zone").input_value() == "Pacific/Auckland"
    page.get_by_label("Virtual styling").check()
    page.get_by_label("Where and with whom").select_option(label="Ada Stone at Soho")
    page.get_by_role("button", name="See available times").click()

    # A later day is swapped in by htmx, and the address follows it.
    days = page.locator(".day-list a")
    days.nth(1).click()
    page.wait_for_url("**day=**")
    assert days.nth(1).get_attribute("aria-current") == "date"
    first_time = page.locator(".slot-list a").first
    label = first_time.inner_text()
    assert "store time" in label
    first_time.click()
    page.wait_for_url("**slot=**")

    page.get_by_label("First name").fill("Grace")
    page.get_by_label("E-mail", exact=True).fill("grace@example.com")
    page.get_by_label("E-mail: service messages").check()
    page.get_by_role("button", name="Book this session").click()
    page.wait_for_url("**/book/booked/**")
    assert "You're booked" in page.locator("h1").inner_text()

    booking = Booking.objects.get()
    # What the customer picked was shown on Auckland's clock, and the store's next to it.
    assert label.startswith(booking.starts_at.astimezone(AUCKLAND).strftime("%H:%M"))
    london = booking.starts_at.astimezone(booking.store.time_zone).strftime("%H:%M")
    assert f"({london} store time)" in label
    assert booking.customer_time_zone == "Pacific/Auckland"
    assert "(Pacific/Auckland)" in page.content()
    # Touch targets are sized for fingers.
    box = page.get_by_role("link", name="Change or cancel").bounding_box()
    assert box is not None and box["height"] >= 44
    assert len(mail.outbox) == 1
