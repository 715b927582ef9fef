"""Reads: a staff member's own notifications, and the groups their socket may join."""

from __future__ import annotations

from django.db.models import QuerySet

from frontline.notifications.groups import staff_group, store_group
from frontline.notifications.models import NotificationRecipient
from frontline.staff.models import StoreAssignment, User

CATCH_UP_LIMIT = 200


def notifications_for(user: User) -> QuerySet[NotificationRecipient]:
    """Every notification addressed to the staff member, newest first. Nobody sees another's."""
    return (
        NotificationRecipient.objects.filter(recipient=user)
        .select_related("notification")
        .order_by("-notification_id")
    )


def notifications_after(
    user: User, *, after_id: int, limit: int = CATCH_UP_LIMIT
) -> list[NotificationRecipient]:
    """The staff member's notifications with an id above ``after_id``, oldest first.

    This is the catch-up a client asks for when it (re)connects: it keeps the highest id it has
    processed, so whatever the push channel dropped or missed is found here, once.
    """
    return list(
        NotificationRecipient.objects.filter(recipient=user, notification_id__gt=after_id)
        .select_related("notification")
        .order_by("notification_id")[:limit]
    )


def unread_count(user: User) -> int:
    return NotificationRecipient.objects.filter(recipient=user, read_at__isnull=True).count()


def latest_notification_id(user: User) -> int:
    latest = (
        NotificationRecipient.objects.filter(recipient=user)
        .order_by("-notification_id")
        .values_list("notification_id", flat=True)
        .first()
    )
    return latest or 0


def live_groups_for(user: User) -> list[str]:
    """The groups a staff member's socket joins: their own, and the stores they work at.

    Store groups follow store assignments (not ``stores_for``, which gives superusers every
    store): a store-wide notification is written for the store's assigned staff, and only they
    may hear it live.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    store_ids = StoreAssignment.objects.filter(user=user).values_list("store_id", flat=True)
    return [staff_group(user.pk)] + [store_group(pk) for pk in sorted(set(store_ids))]
