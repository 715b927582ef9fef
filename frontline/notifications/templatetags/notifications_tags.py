"""Template tags for the unread badge and the live client's starting point."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from frontline.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def notifications_state(context: template.Context) -> dict[str, Any]:
    """Unread count and the newest id, read once per page render and shared by the tags."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0, "after": 0}
    cached = getattr(request, "_notifications_state", None)
    if cached is None:
        unread_count, latest_id = selectors.badge_state(user)
        cached = {
            "unread_count": unread_count,
            # The page shows everything up to here (the badge counts it); the live client
            # starts its catch-up cursor from it.
            "after": latest_id,
            "push_public_key": settings.VAPID_PUBLIC_KEY or "",
        }
        request._notifications_state = cached  # type: ignore[union-attr]
    return cached
