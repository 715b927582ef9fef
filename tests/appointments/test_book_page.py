"""The public /book/ page: no login, every step a plain link or form, bad input refused."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from urllib.parse import quote, urlencode

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from frontline.appointments import services
from frontline.appointments.models import Booking
from frontline.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BOOK = "/book/"


def next_monday_at(hour: int, store) -> datetime:
    """A Monday at least a week ahead, at ``hour`` on the store's clock."""
    today = timezone.now().astimezone(store.time_zone).date()
    monday = today + timedelta(days=7 + (7 - today.weekday()) % 7)
    return datetime.combine(monday, time(hour), tzinfo=store.time_zone).astimezone(UTC)


def choice(stylist, tz: str = "Europe/London", **extra: str) -> str:
    return urlencode(
        {"service": stylist.services.get().pk, "with_whom": f"store-{stylist.store_id}", "tz": tz}
        | extra
    )


def details(**overrides: str) -> dict[str, str]:
    return {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "phone": "",
        "occasion": "Wedding",
        "sizes": "",
        "budget": "",
        "notes": "",
        "website": "",
        **overrides,
    }


def post_booking(client, stylist, slot: datetime, **overrides: str):
    query = choice(stylist, slot=slot.isoformat())
    return client.post(f"{BOOK}?{query}", details(slot=slot.isoformat(), **overrides))


def test_the_first_step_needs_no_login(client, stylist):
    response = client.get(BOOK)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Virtual styling" in page
    assert f"Any stylist at {stylist.store.name}" in page
    assert "Ada Stone at Soho" in page
    assert "data-detect-zone" in page


def test_times_are_shown_in_the_customers_zone_with_the_stores_noted(client, stylist):
    slot = next_monday_at(10, stylist.store)
    day = slot.astimezone(UTC).date()
    response = client.get(f"{BOOK}?{choice(stylist, tz='America/New_York', day=day.isoformat())}")
    assert response.status_code == 200
    page = response.content.decode()
    # 10:00 in London is 05:00 in New York (in January, in July alike).
    assert ">05:00 <span" in page
    assert "10:00 store time" in page
    assert "Europe/London" in page


def test_htmx_gets_only_the_times(client, stylist):
    response = client.get(f"{BOOK}?{choice(stylist)}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'<section id="times"' in response.content
    assert b"<html" not in response.content


def test_a_booking_end_to_end(client, stylist, tasks_run, django_capture_on_commit_callbacks):
    slot = next_monday_at(10, stylist.store)
    form = client.get(f"{BOOK}?{choice(stylist, slot=slot.isoformat())}")
    assert b"Your details" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client, stylist, slot, consents=["email:service"])
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:booked", args=[booking.token])
    assert booking.starts_at == slot and booking.stylist == stylist
    page = client.get(response["Location"])
    assert b"You're booked" in page.content
    assert len(mail.outbox) == 1


def test_the_honeypot_books_nothing_and_says_nothing(client, stylist):
    response = post_booking(
        client, stylist, next_monday_at(10, stylist.store), website="http://spam"
    )
    assert response.status_code == 200
    assert b"Thank you" in response.content
    assert not Booking.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notes", "x" * 2001, b"at most 2000 characters"),
        ("first_name", "x" * 101, b"at most 100 characters"),
        ("email", "not-an-email", b"valid email"),
        ("slot", "tomorrow at ten", b"Choose one of the times shown"),
    ],
)
def test_bad_fields_are_refused_with_a_clear_error(client, stylist, field, value, message):
    slot = next_monday_at(10, stylist.store)
    fields = details(slot=slot.isoformat())
    fields[field] = value
    response = client.post(f"{BOOK}?{choice(stylist)}", fields)
    assert response.status_code == 400
    assert message in response.content
    assert not Booking.objects.exists()


def test_a_past_time_and_a_time_outside_the_hours_are_refused(client, stylist):
    past = timezone.now().replace(microsecond=0) - timedelta(days=1)
    response = post_booking(client, stylist, past)
    assert response.status_code == 400
    assert b"That time has passed" in response.content
    night = next_monday_at(3, stylist.store)
    response = post_booking(client, stylist, night)
    assert response.status_code == 400
    assert b"That time is not available" in response.content
    assert not Booking.objects.exists()


def test_a_slot_just_taken_offers_the_nearest_free_ones(client, stylist):
    slot = next_monday_at(10, stylist.store)
    assert post_booking(client, stylist, slot).status_code == 302
    response = post_booking(client, stylist, slot, email="second@example.com")
    assert response.status_code == 409
    page = response.content.decode()
    assert "that time was just taken" in page
    assert f"slot={quote((slot + timedelta(hours=1)).isoformat())}" in page
    assert Booking.objects.count() == 1


def test_the_answer_is_the_same_whether_or_not_the_email_is_a_customers(client, stylist):
    CustomerFactory(
        first_name="Grace", last_name="Hopper", email="known@example.com", phone="+447700900555"
    )
    first = post_booking(
        client, stylist, next_monday_at(10, stylist.store), email="known@example.com"
    )
    second = post_booking(
        client, stylist, next_monday_at(14, stylist.store), email="new@example.com"
    )
    assert first.status_code == second.status_code == 302
    known_page = client.get(first["Location"]).content.decode()
    assert "+447700900555" not in known_page
    new_page = client.get(second["Location"]).content.decode()
    known_token, new_token = first["Location"].split("/")[-2], second["Location"].split("/")[-2]
    assert main_part(known_page, "known@example.com", "10:00", known_token) == main_part(
        new_page, "new@example.com", "14:00", new_token
    )


def main_part(page: str, email: str, hour: str, token: str) -> str:
    """The page's content with what differs between two bookings (e-mail, time, links) left out."""
    main = page[page.index("<main") : page.index("</main>")]
    return (
        main.replace(email, "E")
        .replace(hour, "H")
        .replace(token, "T")
        .split('<a class="button"')[0]
    )


def test_booking_attempts_are_rate_limited(client, stylist, settings):
    """The limit counts per clock minute: five attempts at 2/m span at most two windows, so
    one of them sees a third attempt however they fall across a minute boundary. The counts
    live in a cache of this process's own, which another test process clearing the shared
    cache between tests cannot reset half-way."""
    settings.CACHES = {
        **settings.CACHES,
        "rate-limits": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    settings.RATELIMIT_USE_CACHE = "rate-limits"
    settings.APPOINTMENTS_BOOKING_RATE = "2/m"
    statuses = []
    for hour in (10, 11, 12, 14, 15):
        response = post_booking(client, stylist, next_monday_at(hour, stylist.store))
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[:2] == [302, 302]
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert Booking.objects.count() == statuses.count(302)


def test_the_manage_link_moves_and_cancels(client, stylist):
    slot = next_monday_at(10, stylist.store)
    post_booking(client, stylist, slot)
    booking = Booking.objects.get()
    url = reverse("appointments:manage", args=[services.booking_manage_token(booking=booking)])
    page = client.get(url)
    assert page.status_code == 200
    later = slot + timedelta(hours=2)
    assert later.isoformat().encode() in page.content
    assert client.post(url, {"slot": later.isoformat()}).status_code == 302
    booking.refresh_from_db()
    assert (booking.starts_at, booking.sequence) == (later, 1)
    assert client.post(url, {"action": "cancel"}).status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.sequence) == ("cancelled", 2)


def test_a_forged_manage_link_is_refused(client, stylist):
    post_booking(client, stylist, next_monday_at(10, stylist.store))
    booking = Booking.objects.get()
    response = client.get(reverse("appointments:manage", args=[booking.token]))
    assert response.status_code == 410
