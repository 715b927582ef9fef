"""Every public endpoint is rate-limited per client address: the pages and links customers use
without signing in, sign-in itself, password resets, the API's token and description, the
webhooks of connected systems.

The routes are found, not listed: every route of the URL configuration that the access matrix
(tests/test_access_matrix.py) opens to visitors who are not signed in, or that answers them
itself (webhooks, signed by their sender). Each is flooded from one address until it answers
429. Answers are counted, never timed: the limits count per fixed window, so a flood that
straddles a window's end gets a fresh count once, and up to twice the limit (plus one) may pass
before the 429, on a loaded machine as on a quiet one.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.test_access_matrix import ACCESS, Route, brand, routes, url_for  # noqa: F401

pytestmark = pytest.mark.django_db

# The largest limit per address and window of any public route (the sign-in pages' 30 a
# minute); the settings below bring the configurable ones under it for the test.
LARGEST_LIMIT = 30
SIGNED_IN_ONLY_FOR_THE_ADMIN = {"admin:login": ("GET", "POST")}


def public_routes() -> list[tuple[Route, str]]:
    found = []
    for route in routes():
        if route.name in SIGNED_IN_ONLY_FOR_THE_ADMIN:
            found += [(route, method) for method in SIGNED_IN_ONLY_FOR_THE_ADMIN[route.name]]
            continue
        access = ACCESS[route.name]
        # Open to anonymous visitors, or answered to anyone by signature (allowed to nobody
        # signed in: the sender signs each request instead).
        if "anonymous" in access.allowed or not access.allowed:
            found += [(route, method) for method in access.methods]
    return found


PUBLIC = public_routes()


def test_the_public_routes_are_found():
    names = {route.name for route, _ in PUBLIC}
    assert {
        "appointments:book",
        "appointments:booked",
        "surveys:answer",
        "sync:webhook",
        "outreach:twilio_inbound",
        "password_reset",
        "api:token",
        "login",
    } <= names
    assert "customers:profile" not in names


@pytest.fixture
def low_limits(settings):
    settings.RATELIMIT_ENABLE = True
    for name in (
        "PUBLIC_RATE",
        "APPOINTMENTS_BOOKING_RATE",
        "APPOINTMENTS_BROWSE_RATE",
        "SURVEY_ANSWER_RATE",
        "SURVEY_VIEW_RATE",
        "OUTREACH_WEBHOOK_RATE",
        "SYNC_WEBHOOK_RATE",
    ):
        setattr(settings, name, "5/m")


@pytest.mark.parametrize(
    ("route", "method"), PUBLIC, ids=[f"{method} {route.name}" for route, method in PUBLIC]
)
def test_a_flood_from_one_address_is_answered_429(brand, low_limits, route, method):  # noqa: F811
    _, values = brand
    url = url_for(route, values)
    cache.clear()
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers: list[int] = []
    for _ in range(2 * LARGEST_LIMIT + 1):
        response = client.generic(method, url, data="{}", content_type="application/json")
        answers.append(response.status_code)
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        if response.status_code == 429:
            break
    assert answers[-1] == 429, f"{method} {url} answered {len(answers)} times: {set(answers)}"
    if method != "GET":
        return  # A POST is also counted per account or address typed (empty here, for all).
    # Another address is not held back by this one's flood.
    other = Client(REMOTE_ADDR="198.51.100.7")
    response = other.generic(method, url, data="{}", content_type="application/json")
    assert response.status_code != 429


def test_signed_in_staff_sharing_a_store_address_are_not_held_back(associate, settings):
    """A store's tablets share one address; each loads the service worker and manifest on
    every page. The floor counts visitors, not signed-in staff."""
    settings.RATELIMIT_ENABLE = True
    settings.PUBLIC_RATE = "5/m"
    tablet = Client(REMOTE_ADDR="203.0.113.9")
    tablet.force_login(associate)
    assert {tablet.get("/sw.js").status_code for _ in range(12)} == {200}
    assert Client(REMOTE_ADDR="203.0.113.9").get("/sw.js").status_code == 200
    visitor = Client(REMOTE_ADDR="203.0.113.10")
    assert [visitor.get("/sw.js").status_code for _ in range(6)][-1] == 429
