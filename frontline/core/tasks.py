from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(ignore_result=True)
def record_worker_heartbeat_task() -> None:
    """Beat sends this every minute; /healthz/ reports how long ago a worker last ran it."""
    cache.set(WORKER_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
