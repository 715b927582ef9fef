from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.appointments.factories import ServiceFactory, StylistFactory
from tests.factories import StoreFactory

# A Monday in January: London on GMT, so its wall-clock times read as UTC.
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
MONDAY_10 = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _booking_rate_out_of_the_way(settings):
    """Every test client posts from 127.0.0.1 and test processes share the cache: only the test
    of the rate limit itself should meet it (it sets its own)."""
    settings.APPOINTMENTS_BOOKING_RATE = "10000/m"
    settings.APPOINTMENTS_BROWSE_RATE = "10000/m"


@pytest.fixture
def store(db):
    return StoreFactory(code="soho", name="Soho", country="GB", address="1 Carnaby St")


@pytest.fixture
def service(db):
    return ServiceFactory()


@pytest.fixture
def stylist(store, service):
    return StylistFactory(store=store, user__first_name="Ada", user__last_name="Stone")


def book_monday(store, service, stylist, *, now=NOW, **details):
    """Grace Hopper books the session at MONDAY_10 with ``stylist`` (details may be changed)."""
    from frontline.appointments import services

    fields = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "email": "grace@example.com",
        "time_zone": "UTC",
        **details,
    }
    return services.booking_create(
        service=service,
        store=store,
        stylist=stylist,
        starts_at=MONDAY_10,
        details=services.CustomerDetails(**fields),
        now=now,
    )


@pytest.fixture
def booking(store, service, stylist):
    return book_monday(store, service, stylist)
