"""Wrong PINs counted per staff member in Redis (INCR is atomic across web processes); the
count expires TABLET_PIN_LOCKOUT_SECONDS after the first failure."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _key(staff_id: int) -> str:
    return f"tablet-pin-failures:{staff_id}"


def pin_failures(staff_id: int) -> int:
    return int(cache.get(_key(staff_id)) or 0)


def pin_failure_add(staff_id: int) -> None:
    key = _key(staff_id)
    cache.add(key, 0, timeout=settings.TABLET_PIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr: this failure opens a new window
        cache.set(key, 1, timeout=settings.TABLET_PIN_LOCKOUT_SECONDS)


def pin_failures_clear(staff_id: int) -> None:
    cache.delete(_key(staff_id))
