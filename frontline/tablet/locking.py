"""The lock of a shared tablet: after a store's chosen minutes without a touch the tablet
locks, and only a PIN (or a full sign-in) opens it again.

The page locks itself when nobody has touched it for that long (static/js/tablet.js); the
server keeps the lock in the session, so that reloading a page does not get past it, and
locks on its own a session that sent no request for that long (a tablet that was asleep, with
no JavaScript running). Past SESSION_IDLE_MINUTES without a request the server signs the
session out altogether (TabletLockMiddleware). The minutes come from the staff member's
primary store when they sign in and stay in the session, so no request pays a query for them.
A staff member with no store (an administrator at a desk) is not on a shared tablet and is
never locked, but is signed out when idle like everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext

from frontline.core.api import error_body
from frontline.notifications.services import live_session_lock
from frontline.staff.models import Store, User
from frontline.staff.selectors import primary_store_for
from frontline.tablet.models import DEFAULT_LOCK_AFTER_MINUTES, TabletPolicy
from frontline.tablet.pin_failures import pin_failures_clear

LOCKED = "tablet_locked"
LOCK_AFTER = "tablet_lock_after"
STORE = "tablet_store"
STAFF_HEADER = "X-Frontline-Staff"
# Requests that never meet the lock: the lock screen itself, signing in and out, and what any
# page needs before anyone is signed in.
OPEN_PATHS = (
    "/tablet/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/password/reset/",
    "/static/",
    "/sw.js",
    "/manifest.webmanifest",
    "/offline/",
    "/healthz/",
)
# The last request of a session is written at most this often: activity, not every poll.
SEEN_WRITE_EVERY = 15


def lock_after_seconds_for(store: Store | None) -> int:
    if store is None:
        return 0
    policy = TabletPolicy.objects.filter(store=store)
    minutes = policy.values_list("lock_after_minutes", flat=True).first()
    return 60 * (DEFAULT_LOCK_AFTER_MINUTES if minutes is None else minutes)


def tablet_session_start(sender: object, request: HttpRequest, user: User, **_: object) -> None:
    """On every sign-in (Django's user_logged_in), a PIN switch included: the tablet's store
    and its lock time go into the new session, unlocked. Signing in also ends a lock of the
    PIN after too many wrong ones: whoever did it knows the password."""
    session = getattr(request, "session", None)
    if session is None:
        return
    store = primary_store_for(user)
    session[STORE] = store.pk if store else None
    session[LOCK_AFTER] = lock_after_seconds_for(store)
    session.pop(LOCKED, None)
    _seen_now(request)
    pin_failures_clear(user.pk)


def session_lock(request: HttpRequest) -> None:
    """Lock the signed-in staff member's session (only signed-in sessions meet the lock)."""
    _lock(request.session, user_id=cast(User, request.user).pk)


def _lock(session: SessionBase, *, user_id: int) -> None:
    """Lock the session, and close its live sockets (another tab of the tablet would go on
    showing notifications, which name customers, under the lock screen).

    Saved at once rather than with the answer, so that a tab whose socket was just closed and
    which goes to the lock screen finds the session locked already.
    """
    session[LOCKED] = True
    session.save()
    live_session_lock(user_id=user_id, session_key=session.session_key or "")


def session_unlock(request: HttpRequest) -> None:
    request.session.pop(LOCKED, None)
    _seen_now(request)


def is_locked(request: HttpRequest) -> bool:
    return bool(request.session.get(LOCKED))


def lock_after_seconds(request: HttpRequest) -> int:
    return int(request.session.get(LOCK_AFTER) or 0)


def _seen_key(session_key: str | None) -> str:
    return f"tablet-seen:{session_key}"


def _seen_now(request: HttpRequest) -> None:
    if request.session.session_key:
        cache.set(_seen_key(request.session.session_key), time.time(), timeout=24 * 60 * 60)


def _idle_seconds(session: SessionBase) -> float | None:
    """How long the session has sent nothing but lock-screen requests; None when unknown (a
    session signed in before the stamp was kept, or a cache that lost it)."""
    if not session.session_key:
        return None
    last = cache.get(_seen_key(session.session_key))
    return None if last is None else time.time() - last


def _note_activity(request: HttpRequest, idle: float | None) -> None:
    if idle is None or idle >= SEEN_WRITE_EVERY:
        _seen_now(request)


def _idle_past_sign_out(idle: float | None) -> bool:
    return idle is not None and idle > 60 * settings.SESSION_IDLE_MINUTES


def session_locked_for_socket(session: SessionBase | None, *, user_id: int) -> bool:
    """Whether a live socket opened with this session must be refused: the tablet is locked,
    or has been idle longer than its store allows (it is then locked, as a page would be), or
    so long that its next page signs it out. Opening a socket is no touch of the screen: it
    does not count as activity.

    Reads the session store: call it from a thread, not the event loop.
    """
    if session is None:
        return False
    if session.get(LOCKED):
        return True
    idle = _idle_seconds(session)
    if _idle_past_sign_out(idle):
        return True
    lock_after = int(session.get(LOCK_AFTER) or 0)
    if lock_after and idle is not None and idle > lock_after:
        _lock(session, user_id=user_id)
        return True
    return False


def locked_answer(request: HttpRequest) -> HttpResponseBase:
    """What a locked session gets instead of the page: 423 Locked for the API and htmx (which
    is sent to the lock screen), the lock screen for a page."""
    target = f"/tablet/locked/?{urlencode({'next': request.get_full_path()})}"
    if request.path.startswith("/api/"):
        body = error_body(gettext("This tablet is locked: unlock it to continue."), "locked")
        return JsonResponse(body, status=423)
    if request.headers.get("HX-Request"):
        response = HttpResponse(gettext("This tablet is locked."), status=423)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


class TabletLockMiddleware:
    """Keeps locked sessions on the lock screen, ends sessions idle for longer than
    SESSION_IDLE_MINUTES, and names the signed-in staff member on every answer they get (the
    service worker keeps personal pages per staff member by it).

    The lock and the sign-out measure the same idleness: the time since the session last asked
    for anything but the lock screen. The lock keeps the session for a PIN; past the longer
    idle time the session ends, on the server, locked or not, and only the password opens a
    new one (OWASP ASVS 3.3.2: re-authentication after an idle period). A tablet left on the
    lock screen overnight is thus signed out, not merely locked, however long SESSION_COOKIE_AGE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.get_response(request)
        idle = _idle_seconds(request.session)
        if _idle_past_sign_out(idle):
            # Signed out here; the request goes on as anonymous, so a page sends them to the
            # sign-in page and the API refuses, each as it does for anyone signed out.
            logout(request)
            return self.get_response(request)
        if request.path.startswith(OPEN_PATHS):
            return self.get_response(request)
        lock_after = lock_after_seconds(request)
        if is_locked(request):
            return locked_answer(request)
        if lock_after and idle is not None and idle > lock_after:
            session_lock(request)
            return locked_answer(request)
        _note_activity(request, idle)
        response = self.get_response(request)
        response[STAFF_HEADER] = str(request.user.pk)
        return response
