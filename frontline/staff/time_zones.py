"""Times shown in the time zone of the store the staff member works at.

The zone is looked up once, when they sign in, and kept in their session: every page then
shows local times without a query of its own. Requests without a session (API tokens) stay in
UTC, and the API writes every time with its offset.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from frontline.staff.models import User
from frontline.staff.selectors import primary_store_for

SESSION_KEY = "frontline_time_zone"


def remember_store_time_zone(sender: object, request: HttpRequest, user: User, **_: object) -> None:
    """On sign-in (Django's user_logged_in): keep the primary store's zone in the session."""
    store = primary_store_for(user)
    if store is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = str(store.time_zone)


class StoreTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        zone = _session_zone(request)
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _session_zone(request: HttpRequest) -> ZoneInfo | None:
    session = getattr(request, "session", None)
    name = session.get(SESSION_KEY) if session is not None else None
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # A zone this server does not know (its tzdata is older): UTC rather than a failure.
        return None
