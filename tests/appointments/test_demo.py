"""seed_demo makes each store's stylist bookable and books a few sessions that fit their diary."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.management import call_command

from frontline.appointments.models import Booking, Stylist

pytestmark = pytest.mark.django_db


def test_the_demo_has_bookable_stylists_with_sessions(client):
    call_command("seed_demo", customers=300, products=40, stdout=io.StringIO())
    stylists = Stylist.objects.select_related("user", "store")
    assert {stylist.user.username for stylist in stylists} == {"stylist1", "stylist2", "stylist3"}
    for stylist in stylists:
        assert stylist.working_hours.count() == 6
        sessions = list(Booking.objects.filter(stylist=stylist).order_by("starts_at"))
        assert sessions
        for earlier, later in itertools.pairwise(sessions):
            assert earlier.blocks_until <= later.starts_at
        for session in sessions:
            local = session.starts_at.astimezone(stylist.store.time_zone)
            assert 10 <= local.hour < 18 and local.weekday() < 6
            assert session.customer.preferred_store_id == stylist.store_id
    assert b"Any stylist at" in client.get("/book/").content
    # --if-empty on a seeded database refreshes the logins and leaves the sessions alone.
    before = Booking.objects.count()
    call_command("seed_demo", customers=300, products=40, if_empty=True, stdout=io.StringIO())
    assert Booking.objects.count() == before
