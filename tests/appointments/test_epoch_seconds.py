"""The diaries read session times as seconds since the epoch, exactly, on either database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontline.appointments.models import Booking
from frontline.appointments.selectors import EpochSeconds
from tests.appointments.factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 12, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, 0, 1, tzinfo=UTC),
    ],
)
def test_epoch_seconds_are_exact_to_the_microsecond(moment):
    BookingFactory(starts_at=moment)
    (seconds,) = Booking.objects.values_list(EpochSeconds("starts_at"), flat=True)
    assert datetime.fromtimestamp(seconds, UTC) == moment
