"""The rate limit of public pages: every URL a visitor reaches without signing in.

Sign-in, password resets, bookings, survey answers and webhooks have tighter limits of their
own, sized for what each protects; this one is the floor under every public route, so that no
page (a signed link's, the API's description, the health check) can be requested without limit
from one address. tests/core/test_public_rate_limits.py floods each public route of the URL
configuration and fails for one that answers without end.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from redis.exceptions import RedisError

ViewFunction = Callable[..., HttpResponseBase]


def public_rate(group: str, request: HttpRequest) -> str:
    return settings.PUBLIC_RATE


def public_rate_limited(
    view: ViewFunction, *, group: str, open_without_redis: bool = False
) -> ViewFunction:
    """``view`` answering 429 (settings.RATELIMIT_VIEW) past PUBLIC_RATE requests per client
    address from visitors not signed in, counted per ``group``: a visitor going through the
    booking flow does not spend the allowance of the sign-in page.

    A request with no client address (an in-process call, such as a WSGI test client) has
    nothing to be counted by, and is let through: a server always sets one, and behind a proxy
    the deployment sets it from the proxy's header (as every rate limit needs). The counts live
    in Redis; ``open_without_redis`` lets the view answer when Redis is down (the health check,
    whose answer then says so) rather than fail.
    """

    @wraps(view)
    def limited_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if _counted(request):
            try:
                over = is_ratelimited(
                    request, group=group, key="ip", rate=public_rate, increment=True
                )
            except RedisError:
                if not open_without_redis:
                    raise
                over = False
            if over:
                raise Ratelimited()
        return view(request, *args, **kwargs)

    return limited_view


def _counted(request: HttpRequest) -> bool:
    """Visitors are counted by address; signed-in staff are not: a store's tablets share one
    address behind its router, and each loads the manifest and service worker on every page."""
    user = getattr(request, "user", None)
    return bool(request.META.get("REMOTE_ADDR")) and not (user and user.is_authenticated)
