"""Catalog's periodic work: thin tasks that call services."""

from __future__ import annotations

from celery import shared_task

from frontline.catalog import services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30, ignore_result=True)
def expire_holds_task() -> int:
    """Release holds past their deadline; safe to run twice (each hold is claimed first)."""
    return services.holds_expire_due()


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30, ignore_result=True)
def warn_expiring_holds_task() -> int:
    """Warn associates of holds expiring soon; safe to run twice (one warning per deadline)."""
    return services.holds_warn_expiring()
