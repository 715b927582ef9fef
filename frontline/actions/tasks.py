"""Celery tasks: thin, take ids, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from frontline.actions import services
from frontline.actions.models import BatchStatus

# Each task run stops well inside Celery's soft time limit and queues its continuation: the
# progress row in PostgreSQL, not the broker, is the record of how far the batch got.
BATCH_SLICE_SECONDS = 15 * 60

# Refreshes recompute from scratch, so a retry or a redelivery is harmless.
REFRESH_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (ConnectionError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_actions_batch_task() -> dict[str, object]:
    run = services.actions_batch_run(max_seconds=BATCH_SLICE_SECONDS)
    if run is None:
        return {"status": "another worker is running the batch"}
    if run.status == BatchStatus.RUNNING:
        compute_actions_batch_task.delay()
    return {"run": run.pk, "status": run.status, "last_customer_id": run.last_customer_id}


@shared_task(**REFRESH_TASK_OPTIONS)
def refresh_actions_for_customer_task(customer_id: int) -> int:
    # A customer deleted meanwhile simply has nothing to compute: the range is empty.
    return services.actions_refresh_for_customer(customer_id=customer_id)


@shared_task(**REFRESH_TASK_OPTIONS)
def refresh_actions_for_customers_task(customer_ids: list[int]) -> int:
    # Customers deleted meanwhile drop out of the chunk's queries: nothing to compute for them.
    return services.actions_refresh_for_customers(customer_ids=customer_ids)
