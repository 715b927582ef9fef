"""Reads of the privacy domain."""

from __future__ import annotations

from django.db.models import QuerySet

from frontline.privacy.models import AccessAction, PersonalDataAccess
from frontline.staff.models import User

# How far back "recent customers" looks: the last this-many profile reads of the staff member.
RECENT_WINDOW = 200
PROFILE_READS = [AccessAction.PROFILE_VIEWED, AccessAction.PROFILE_READ_API]


def recently_viewed_customer_ids(*, staff: User, limit: int = 10) -> list[int]:
    """The customers this staff member opened lately, most recent first, each once."""
    latest_reads = (
        PersonalDataAccess.objects.filter(
            staff=staff, action__in=PROFILE_READS, customer__isnull=False
        )
        .order_by("-accessed_at", "-id")
        .values_list("customer_id", flat=True)[:RECENT_WINDOW]
    )
    return list(dict.fromkeys(latest_reads))[:limit]


def accesses_to_customer(*, customer_id: int) -> QuerySet[PersonalDataAccess]:
    """Who looked at this customer's data, newest first (audit, data export)."""
    return (
        PersonalDataAccess.objects.filter(customer_id=customer_id)
        .select_related("staff")
        .order_by("-accessed_at", "-id")
    )
