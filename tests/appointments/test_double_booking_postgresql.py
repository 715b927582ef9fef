"""Twenty customers book the same slot at the same moment on PostgreSQL: exactly one gets it.

Each customer is a thread with its own database connection. A barrier inside the booking
transaction, after the service's own overlap check, holds every thread until all twenty have
passed that check, so the exclusion constraint alone decides; the others are told "just taken"
with the nearest free slots, and nothing of theirs (not even their new customer record) is
written. SQLite serialises write transactions whole, so this race cannot happen there: skipped,
as the suite's other concurrency tests are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from frontline.appointments import services
from frontline.appointments.models import Booking
from frontline.customers.models import Customer
from tests.appointments.conftest import MONDAY_10, NOW
from tests.appointments.factories import ServiceFactory, StylistFactory
from tests.factories import StoreFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite locks the whole database for a write, so no race exists",
    ),
]

CUSTOMERS = 20


@pytest.fixture
def pool_for_every_customer(monkeypatch) -> Iterator[None]:
    """A connection pool large enough for twenty transactions open at once."""
    pool = connection.settings_dict["OPTIONS"]["pool"]
    connection.close()
    connection.close_pool()
    monkeypatch.setitem(pool, "max_size", CUSTOMERS + 5)
    yield
    connection.close()
    connection.close_pool()


class EveryoneAtTheInsert:
    """Wraps the customer lookup, the step just before the insert, with a barrier."""

    def __init__(self, parties: int, lookup) -> None:
        self.barrier = threading.Barrier(parties, timeout=60)
        self.lookup = lookup

    def __call__(self, *args, **kwargs):
        customer_id = self.lookup(*args, **kwargs)
        self.barrier.wait()
        return customer_id


def test_twenty_concurrent_bookings_of_one_slot_give_one_booking(
    monkeypatch, pool_for_every_customer, tasks_run
):
    store = StoreFactory(code="race", name="Race", country="GB")
    service = ServiceFactory()
    stylist = StylistFactory(store=store)
    monkeypatch.setattr(
        services,
        "_customer_for_booking",
        EveryoneAtTheInsert(CUSTOMERS, services._customer_for_booking),
    )
    outcomes: list[object] = [None] * CUSTOMERS

    def customer_books(index: int) -> None:
        try:
            outcomes[index] = services.booking_create(
                service=service,
                store=store,
                stylist=stylist,
                starts_at=MONDAY_10,
                details=services.CustomerDetails(
                    first_name=f"Customer{index}",
                    last_name="Racer",
                    email=f"racer{index}@example.com",
                    time_zone="Europe/London",
                ),
                now=NOW,
            )
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=customer_books, args=(i,)) for i in range(CUSTOMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    booked = [outcome for outcome in outcomes if isinstance(outcome, Booking)]
    taken = [outcome for outcome in outcomes if isinstance(outcome, services.SlotTaken)]
    assert len(booked) == 1, outcomes
    assert len(taken) == CUSTOMERS - 1, outcomes
    for refusal in taken:
        assert refusal.nearest_slots
        assert MONDAY_10 not in refusal.nearest_slots
        assert MONDAY_10 + timedelta(hours=1) in refusal.nearest_slots
    assert Booking.objects.filter(stylist=stylist).count() == 1
    # The losers' customer records were rolled back with their bookings.
    assert Customer.objects.filter(last_name="Racer").count() == 1


def test_the_database_itself_refuses_an_overlapping_session(tasks_run):
    """Whoever writes (the admin, an import), PostgreSQL keeps a stylist's sessions apart."""
    store = StoreFactory(code="direct", name="Direct", country="GB")
    service = ServiceFactory()
    stylist = StylistFactory(store=store)
    first = services.booking_create(
        service=service,
        store=store,
        stylist=stylist,
        starts_at=MONDAY_10,
        details=services.CustomerDetails(
            first_name="First", last_name="One", email="first@example.com", time_zone="UTC"
        ),
        now=NOW,
    )
    overlapping = {
        field: getattr(first, field)
        for field in ("customer_id", "stylist_id", "store_id", "service_id", "name", "email")
    }
    with pytest.raises(IntegrityError, match=services.NO_OVERLAP_CONSTRAINT), transaction.atomic():
        Booking.objects.create(
            **overlapping,
            starts_at=first.ends_at,  # inside the first session's buffer
            ends_at=first.ends_at + timedelta(minutes=30),
            blocks_until=first.ends_at + timedelta(minutes=30),
            customer_time_zone="UTC",
            scheduled_at=NOW,
        )
    # A cancelled session frees its time.
    services.booking_cancel(booking=first, now=NOW)
    Booking.objects.create(
        **overlapping,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        blocks_until=first.blocks_until,
        customer_time_zone="UTC",
        scheduled_at=NOW,
    )
