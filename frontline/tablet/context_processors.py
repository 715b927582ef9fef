from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from frontline.tablet.locking import is_locked, lock_after_seconds


def tablet(request: HttpRequest) -> dict[str, object]:
    """Who is signed in and after how long the tablet locks, for the page's script; nothing on
    a locked tablet (its lock screen queues nothing and sends nothing)."""
    if not hasattr(request, "session") or not request.user.is_authenticated:
        return {}
    if is_locked(request):
        return {}
    return {
        "tablet_staff": request.user.pk,
        "tablet_lock_after": lock_after_seconds(request),
        "tablet_offline_write_max_age": settings.OFFLINE_WRITE_MAX_AGE_SECONDS,
    }
