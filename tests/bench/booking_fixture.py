"""The booking benchmarks' own store: 30 stylists with weekly hours and a filled diary.

Everything it creates is named ``bench-booking-...`` so that it can be removed afterwards, along
with the customers the booking benchmark creates (e-mails ``bench-booking-...@example.com``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from frontline.appointments.availability import local_day_window
from frontline.appointments.models import Booking, Break, Service, Stylist, WorkingHours
from frontline.customers.models import Customer
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

PREFIX = "bench-booking-"
STYLISTS = 30
HORIZON_DAYS = 60
# The share of each stylist's working day already booked before the benchmark starts.
FILLED = 0.35


@dataclass(frozen=True)
class BookingBench:
    store: Store
    service: Service
    stylists: list[Stylist]
    customer: Customer


def booking_bench_create(*, seed: int) -> BookingBench:
    booking_bench_remove()
    rng = random.Random(seed)
    with transaction.atomic():
        store = Store.objects.create(
            code=f"{PREFIX}store", name="Bench Booking", country="GB", time_zone="Europe/London"
        )
        service, _ = Service.objects.get_or_create(
            slug=f"{PREFIX}video",
            defaults={"name": "Bench styling", "kind": Service.Kind.VIDEO, "duration_minutes": 45},
        )
        customer = Customer.objects.create(
            number=f"{PREFIX}c"[:20], first_name="Bench", last_name="Customer"
        )
        password = make_password(None)
        stylists = []
        for number in range(STYLISTS):
            user = User.objects.create(username=f"{PREFIX}{number}", password=password)
            StoreAssignment.objects.create(user=user, store=store, role=StaffRole.STYLIST)
            stylist = Stylist.objects.create(
                user=user, store=store, horizon_days=HORIZON_DAYS, minimum_notice_minutes=60
            )
            stylist.services.add(service)
            stylists.append(stylist)
        WorkingHours.objects.bulk_create(
            WorkingHours(stylist=s, weekday=day, starts=time(9), ends=time(18))
            for s in stylists
            for day in range(6)
        )
        Break.objects.bulk_create(
            Break(stylist=s, weekday=day, starts=time(13), ends=time(14))
            for s in stylists
            for day in range(6)
        )
        Booking.objects.bulk_create(_filled_diaries(stylists, service, customer, rng))
    # Statistics as a live database keeps them (autovacuum), so the planner sees the diaries.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appointments_booking")
    return BookingBench(store=store, service=service, stylists=stylists, customer=customer)


def _filled_diaries(
    stylists: list[Stylist], service: Service, customer: Customer, rng: random.Random
) -> list[Booking]:
    """About FILLED of every working day, in sessions that never overlap (buffers included)."""
    zone = stylists[0].store.time_zone
    today = timezone.now().astimezone(zone).date()
    bookings = []
    duration = timedelta(minutes=service.duration_minutes)
    for stylist in stylists:
        buffer = timedelta(minutes=stylist.buffer_minutes)
        for offset in range(1, HORIZON_DAYS):
            day = today + timedelta(days=offset)
            if day.weekday() == 6:
                continue
            starts, _ = local_day_window(day, zone)
            cursor = starts + timedelta(hours=9)
            closes = starts + timedelta(hours=18)
            while cursor + duration <= closes:
                if rng.random() < FILLED:
                    bookings.append(_booking(stylist, service, customer, cursor, duration, buffer))
                    cursor += duration + buffer
                cursor += timedelta(minutes=30)
    return bookings


def _booking(
    stylist: Stylist,
    service: Service,
    customer: Customer,
    starts_at: datetime,
    duration: timedelta,
    buffer: timedelta,
) -> Booking:
    return Booking(
        customer=customer,
        stylist=stylist,
        store=stylist.store,
        service=service,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        blocks_until=starts_at + duration + buffer,
        name="Bench Customer",
        email="bench-booking-customer@example.com",
        customer_time_zone="Europe/London",
        scheduled_at=timezone.now(),
    )


def booking_bench_remove() -> None:
    """Everything the booking benchmarks created, bookings first."""
    with transaction.atomic():
        Booking.objects.filter(store__code__startswith=PREFIX).delete()
        Customer.objects.filter(number__startswith=PREFIX[:20]).delete()
        Customer.objects.filter(email__startswith=PREFIX).delete()
        Stylist.objects.filter(store__code__startswith=PREFIX).delete()
        User.objects.filter(username__startswith=PREFIX).delete()
        Store.objects.filter(code__startswith=PREFIX).delete()
        Service.objects.filter(slug__startswith=PREFIX).delete()
