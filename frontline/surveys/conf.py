"""The surveys' settings, read from Django settings (set from the environment)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def link_age() -> timedelta:
    """How long a survey link stays open."""
    return timedelta(days=settings.SURVEY_LINK_DAYS)


def quiet_period() -> timedelta:
    """No customer is asked twice within this long, whatever they bought or booked."""
    return timedelta(days=settings.SURVEY_QUIET_DAYS)


def purchase_delay() -> timedelta:
    """How long after a purchase its survey goes out (the customer has tried it on)."""
    return timedelta(hours=settings.SURVEY_AFTER_PURCHASE_HOURS)
