"""The demo brand's styling sessions: two services, each store's stylist with working hours,
and a few sessions booked by demo customers in the coming days (some today)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from frontline.appointments import selectors
from frontline.appointments.availability import local_day_window
from frontline.appointments.models import Booking, Break, Service, Stylist, WorkingHours
from frontline.customers.models import Customer
from frontline.staff.models import Store, User

SERVICES = [
    ("virtual-styling", "Virtual styling by video", Service.Kind.VIDEO, 45),
    ("in-store-styling", "Personal styling in store", Service.Kind.IN_STORE, 60),
]
OCCASIONS = ["Wedding guest", "New job", "Holiday", "Black tie", "Capsule wardrobe", ""]
SESSIONS_PER_STYLIST = 6


def demo_appointments_seed(
    *, stylists_by_store: dict[Store, User], seed: int, now: datetime | None = None
) -> int:
    """Make each store's demo stylist bookable and book a few sessions; how many were booked.

    Idempotent for the set-up; sessions are only added for stylists who have none yet.
    """
    now = now or timezone.now()
    rng = random.Random(f"frontline-demo:appointments:{seed}")
    booked = 0
    with transaction.atomic():
        services = [
            Service.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "duration_minutes": minutes}
            )[0]
            for slug, name, kind, minutes in SERVICES
        ]
        for store, user in stylists_by_store.items():
            stylist, created = Stylist.objects.get_or_create(user=user, defaults={"store": store})
            stylist.services.set(services)
            if created:
                for weekday in range(6):
                    WorkingHours.objects.create(
                        stylist=stylist, weekday=weekday, starts=time(10), ends=time(18)
                    )
                    Break.objects.create(
                        stylist=stylist, weekday=weekday, starts=time(13), ends=time(14)
                    )
            if not stylist.bookings.exists():
                booked += _book_a_few(stylist, services, store=store, now=now, rng=rng)
    return booked


def _book_a_few(
    stylist: Stylist, services: list[Service], *, store: Store, now: datetime, rng: random.Random
) -> int:
    customers = list(
        Customer.objects.filter(preferred_store=store, merged_into__isnull=True)
        .exclude(email="")
        .order_by("pk")[:200]
    )
    if not customers:
        return 0
    # From the start of today on the store's clock, so that "today" has sessions to show.
    today_starts, _ = local_day_window(now.astimezone(store.time_zone).date(), store.time_zone)
    booked = 0
    for _ in range(SESSIONS_PER_STYLIST):
        service = rng.choice(services)
        search = selectors.slots_search(
            stylists=[stylist],
            service=service,
            window_starts=today_starts,
            window_ends=today_starts + timedelta(days=7),
            now=today_starts - timedelta(days=1),
        )
        if not search.slots:
            break
        starts_at = rng.choice(search.slots[: 3 * SESSIONS_PER_STYLIST])
        customer = rng.choice(customers)
        duration = timedelta(minutes=service.duration_minutes)
        Booking.objects.create(
            customer=customer,
            stylist=stylist,
            store=store,
            service=service,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            blocks_until=starts_at + duration + timedelta(minutes=stylist.buffer_minutes),
            name=customer.full_name,
            email=customer.email,
            phone=customer.phone,
            customer_time_zone=str(store.time_zone),
            occasion=rng.choice(OCCASIONS),
            scheduled_at=now,
        )
        booked += 1
    return booked
