"""Celery tasks: thin, taking ids, safe to run twice (every write is an idempotent upsert)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from frontline.sync import engine, services
from frontline.sync.models import Run, Source

# Every sync task acknowledges only when done and is handed back to the queue when its worker
# dies, with a hard limit well under the broker's visibility timeout (Celery #5935).
TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "time_limit": settings.SYNC_TASK_TIME_LIMIT,
    "soft_time_limit": settings.SYNC_TASK_TIME_LIMIT - 60,
}


@shared_task(**TASK_OPTIONS)
def run_sync_task(source_id: int, entity: str, trigger: str = Run.Trigger.SCHEDULE) -> int | None:
    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return None
    return engine.run_sync(source=source, entity=entity, trigger=trigger).pk


@shared_task(bind=True, max_retries=5, **TASK_OPTIONS)
def sync_records_task(self, source_id: int, entity: str, external_ids: list[str]) -> int | None:  # type: ignore[no-untyped-def]
    """A targeted sync of the records a webhook named; waits its turn if a run is going."""
    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return None
    run = engine.run_sync(
        source=source, entity=entity, trigger=Run.Trigger.WEBHOOK, external_ids=external_ids
    )
    if run.status == Run.Status.SKIPPED:
        raise self.retry(countdown=min(300, 10 * 2**self.request.retries))
    return run.pk


@shared_task(**TASK_OPTIONS)
def deliver_outbox_task(message_id: int) -> None:
    services.outbox_deliver(message_id=message_id)


@shared_task(**TASK_OPTIONS)
def deliver_due_outbox_task() -> int:
    """Beat runs this every minute: first sends that were lost, and retries that are due.

    Retries are not Celery countdowns: ETA tasks are lost when a worker is killed (Celery
    #3501), while a due row in the database is always found again.
    """
    due = services.outbox_due_ids()
    for message_id in due:
        services.outbox_deliver(message_id=message_id)
    return len(due)
