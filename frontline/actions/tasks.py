"""Celery tasks: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from frontline.actions import services
from frontline.actions.models import BatchStatus

# Each task run stops well inside Celery's soft time limit and queues its continuation: the
# progress row in PostgreSQL, not the broker, is the record of how far the batch got.
BATCH_SLICE_SECONDS = 15 * 60


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_actions_batch_task() -> dict[str, object]:
    run = services.actions_batch_run(max_seconds=BATCH_SLICE_SECONDS)
    if run is None:
        return {"status": "another worker is running the batch"}
    if run.status == BatchStatus.RUNNING:
        compute_actions_batch_task.delay()
    return {"run": run.pk, "status": run.status, "last_customer_id": run.last_customer_id}


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def refresh_actions_for_customer_task(customer_id: int) -> int:
    # A customer deleted meanwhile simply has nothing to compute: the range is empty.
    return services.actions_refresh_for_customer(customer_id=customer_id)
