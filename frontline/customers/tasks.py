"""Celery tasks of the customers domain: thin, take ids, tolerate rows that are gone."""

from __future__ import annotations

from celery import shared_task

from frontline.customers.sentiment import sentiment_backfill_run
from frontline.customers.services import duplicate_candidates_detect


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def detect_duplicates_task(customer_id: int) -> int:
    """Look for duplicates of one customer; returns how many candidates it holds. Idempotent."""
    return len(duplicate_candidates_detect(customer_id=customer_id))


# Each task scores for this long, then queues the next: far below the time limits.
BACKFILL_TASK_SECONDS = 60


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def backfill_sentiment_task(backfill_id: int) -> int:
    """Score the interactions' history from its checkpoint for a minute, then hand on.

    Safe to run twice at once or again after a crash: the checkpoint row is locked per chunk
    and moves with the scores it covers. Returns the last interaction id scored.
    """
    backfill = sentiment_backfill_run(backfill_id=backfill_id, seconds=BACKFILL_TASK_SECONDS)
    if not backfill.finished_at:
        backfill_sentiment_task.delay(backfill_id)
    return backfill.last_interaction_id
