"""The privacy domain's periodic work: thin tasks that call services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from frontline.privacy import retention, services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60, ignore_result=True)
def apply_interaction_retention_task() -> int:
    """Summarise interactions past the retention period; a killed run loses no work (each
    chunk commits) and the next run resumes."""
    return retention.interactions_retention_apply(
        retention_days=settings.INTERACTION_RETENTION_DAYS,
        chunk_size=settings.INTERACTION_RETENTION_CHUNK,
    )


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60, ignore_result=True)
def collect_erasure_confirmations_task() -> int:
    """Confirm erasure steps whose system has since deleted its records (seen by sync)."""
    return services.erasure_confirmations_collect()
