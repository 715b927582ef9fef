"""Reads of the tablet domain."""

from __future__ import annotations

from django.db.models import QuerySet

from frontline.staff.models import User


def staff_who_may_unlock(*, store_id: int | None) -> QuerySet[User]:
    """Who may open this store's locked tablet with a PIN: its active staff who set one."""
    if store_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            is_active=True, assignments__store_id=store_id, tablet_pin__isnull=False
        )
        .select_related("tablet_pin")
        .order_by("first_name", "last_name", "username")
        .distinct()
    )
