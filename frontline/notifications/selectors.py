"""Reads: a staff member's own notifications, and the groups their socket may join."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from frontline.notifications.groups import staff_group, store_group
from frontline.notifications.models import NotificationRecipient
from frontline.staff.models import StoreAssignment, User

CATCH_UP_LIMIT = 200


def signed_in_staff(user: object) -> User:
    """``request.user`` behind ``login_required`` / ``IsAuthenticated``: always a staff member."""
    if not isinstance(user, User):
        raise PermissionError("a signed-in staff member is required")
    return user


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


def badge_state(user: User) -> tuple[int, int]:
    """The unread count and the newest notification id, in one query (every page shows both).

    Each is a subquery served by its own index, rather than one aggregate over all of the
    staff member's notifications.
    """
    unread = (
        NotificationRecipient.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    latest = (
        NotificationRecipient.objects.filter(recipient=OuterRef("pk"))
        .order_by("-notification_id")
        .values("notification_id")[:1]
    )
    row = (
        User.objects.filter(pk=user.pk)
        .values(
            unread=Coalesce(Subquery(unread), 0),
            latest=Coalesce(Subquery(latest, output_field=IntegerField()), 0),
        )
        .first()
    )
    return (row["unread"], row["latest"]) if row else (0, 0)


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
