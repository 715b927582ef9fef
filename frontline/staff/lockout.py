"""Account lockout: after too many failed sign-ins, an account refuses even the right password
for a cool-off period.

The rate limits (staff.views) slow guessing down per minute; this bounds it per account over
a longer window. Failures are counted in Redis with INCR, which is atomic however many web
processes count at once; the count expires LOGIN_LOCKOUT_SECONDS after the first failure (INCR
keeps the key's expiry), and a successful sign-in clears it. Every sign-in (the app's, the
admin's, the token endpoint) goes through ``django.contrib.auth.authenticate``, so the
backend below covers them all. A locked account answers exactly as a wrong password does:
the lock tells an attacker nothing about the account. Unknown usernames are counted alike.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext


def _key(username: str) -> str:
    # Hashed: the cache never holds what was typed (people type passwords as usernames).
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()
    return f"sign-in-failures:{digest}"


def sign_in_failure_add(*, username: str) -> int:
    """Count one failed sign-in for the account; returns the count in the current window."""
    key = _key(username)
    cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this failure opens a new window
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        return 1


def sign_in_failures_clear(*, username: str) -> None:
    cache.delete(_key(username))


def is_locked_out(*, username: str) -> bool:
    return (cache.get(_key(username)) or 0) >= settings.LOGIN_LOCKOUT_FAILURES


class LockoutModelBackend(ModelBackend):
    """Django's model backend, refusing an account that is locked out."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None and is_locked_out(username=username):
            # Stops authentication here (no other backend is asked); Django then sends
            # user_login_failed, which counts this attempt too.
            raise PermissionDenied(gettext("Too many failed sign-ins; try again later."))
        return super().authenticate(request, username=username, password=password, **kwargs)
