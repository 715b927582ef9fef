"""The appointments domain's recommended action: prepare for a session booked soon.

Registered with the actions engine when the app is ready (``apps.py``), so the engine computes
it with the others, nightly and after every booking, move or cancellation of the customer's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from frontline.actions.registry import Chunk, Facts, Finding, Rule, clamp_score, registry
from frontline.appointments.models import Booking, BookingStatus

# Two days: enough to pull a selection from another store, not so early it goes stale.
PREPARE_WITHIN = timedelta(hours=48)


@registry.register
class AppointmentPrepare(Rule):
    """A session with the customer starts within 48 hours: prepare a selection in their sizes."""

    name = "appointment_prepare"
    label = "Upcoming session to prepare"
    # Preparation, not outreach: no consent needed and no quiet hours.
    contact_purpose = None

    def eligible(self, chunk: Chunk) -> Iterable[Finding]:
        rows = (
            Booking.objects.filter(
                **chunk.by_customer(),
                status=BookingStatus.CONFIRMED,
                starts_at__gt=chunk.now,
                starts_at__lte=chunk.now + PREPARE_WITHIN,
            )
            .order_by("customer_id", "starts_at", "id")
            .values_list(
                "customer_id",
                "id",
                "starts_at",
                "service__name",
                "stylist__user__first_name",
                "store__name",
                "store__time_zone",
                "occasion",
            )
        )
        seen: set[int] = set()
        for customer_id, booking_id, starts_at, service, stylist, store, zone, occasion in rows:
            if customer_id in seen:  # ordered by start: the first is the soonest
                continue
            seen.add(customer_id)
            local: datetime = starts_at.astimezone(zone)
            yield Finding(
                customer_id,
                {
                    "booking_id": booking_id,
                    "starts_at": starts_at.isoformat(),
                    "local_time": local.strftime("%a %d %b %H:%M"),
                    "hours_until": round((starts_at - chunk.now).total_seconds() / 3600, 1),
                    "window_hours": PREPARE_WITHIN.total_seconds() / 3600,
                    "service": service,
                    "stylist": stylist,
                    "store_name": store,
                    "occasion": occasion,
                },
            )

    def score(self, facts: Facts) -> float:
        urgency = 1 - facts["hours_until"] / max(1, facts["window_hours"])
        return clamp_score(65 + 30 * urgency)

    def reason(self, facts: Facts) -> str:
        hours = facts["hours_until"]
        when = "within the hour" if hours < 1 else f"in {hours:.0f} hours"
        occasion = f" for {facts['occasion']}" if facts["occasion"] else ""
        return (
            f"{facts['service']} with {facts['stylist']} {when} ({facts['local_time']}, "
            f"{facts['store_name']}){occasion}: prepare a selection in their sizes."
        )
