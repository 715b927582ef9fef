"""Slot search for the booking page (issue 23's budget: p95 <= 50 ms).

Measured: what ``/book/`` computes for "any stylist" at a store of 30 stylists over their whole
60-day horizon — the stylists' rules and booked sessions in five queries
(``selectors.slots_search``), the availability engine for each, and the grouping by the
customer's local day. Every stylist works Monday to Saturday 09:00-18:00 with a lunch break,
and about a third of every day is already booked. Baseline in the same run: the same engine fed
by one query per stylist per day for their sessions (how a diary is often read).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from frontline.appointments import selectors
from frontline.appointments.availability import free_slots, local_day_window, slots_by_local_day
from frontline.appointments.models import Booking, BookingStatus
from tests.bench.booking_fixture import (
    HORIZON_DAYS,
    STYLISTS,
    booking_bench_create,
    booking_bench_remove,
)
from tests.bench.datasets import OwnData
from tests.bench.harness import Report, latency_summary, time_each

DATA = OwnData("its own: a store of 30 stylists with filled diaries, removed afterwards")
CUSTOMER_ZONE = ZoneInfo("America/New_York")


def run(options: Any) -> Report:
    searches = 200 if options.scale == "full" else 40
    bench = booking_bench_create(seed=23)
    try:
        stylists = list(selectors.stylists_bookable(store=bench.store, service=bench.service))

        def search_any() -> None:
            now = timezone.now()
            found = selectors.slots_search(
                stylists=stylists,
                service=bench.service,
                window_starts=now,
                window_ends=selectors.booking_horizon_end(stylists=stylists, now=now),
                now=now,
            )
            assert found.slots
            slots_by_local_day(found.slots, CUSTOMER_ZONE)

        def search_day_by_day() -> None:
            now = timezone.now()
            diaries = selectors.diaries_for(
                stylists, window_starts=now, window_ends=now + timedelta(days=HORIZON_DAYS)
            )
            zone = bench.store.time_zone
            today = now.astimezone(zone).date()
            slots = []
            for stylist in stylists:
                for offset in range(HORIZON_DAYS):
                    starts, ends = local_day_window(today + timedelta(days=offset), zone)
                    busy = list(
                        Booking.objects.filter(
                            stylist=stylist,
                            status=BookingStatus.CONFIRMED,
                            starts_at__gte=starts,
                            starts_at__lt=ends,
                        ).values_list("starts_at", "blocks_until")
                    )
                    diary = diaries[stylist.pk]
                    slots += free_slots(
                        type(diary)(**{**diary.__dict__, "busy": busy, "busy_seconds": ()}),
                        duration=timedelta(minutes=bench.service.duration_minutes),
                        now=now,
                        window_starts=starts,
                        window_ends=ends,
                    )
            slots_by_local_day(slots, CUSTOMER_ZONE)

        time_each([search_any] * 5)
        measured = latency_summary(time_each([search_any] * searches))
        baseline = latency_summary(time_each([search_day_by_day] * max(5, searches // 20)))
        sessions = Booking.objects.filter(store=bench.store).count()
    finally:
        booking_bench_remove()
    return Report(
        name="booking_slots",
        params={
            "stylists": STYLISTS,
            "days": HORIZON_DAYS,
            "booked_sessions": sessions,
            "searches": searches,
            "what": "any stylist, the whole horizon, grouped by the customer's day",
        },
        results=measured,
        baseline={"label": "one query per stylist per day", **baseline},
        budget={"p95_ms": {"max": 50}},
    )
