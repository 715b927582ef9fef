from __future__ import annotations

from celery import shared_task
from django.db import transaction

from frontline.sentiment.services import learned_model_retrain

# Training on tens of thousands of texts takes a few minutes on a loaded machine: far below the
# hard time limit, and a run killed midway leaves nothing half-written (the record is atomic).


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def retrain_sentiment_model_task() -> str:
    """Nightly: learn from the brand's rated feedback; a winning model rescores the history."""
    version = learned_model_retrain()
    if version.in_use:
        transaction.on_commit(_history_rescore)
    return version.outcome


def _history_rescore() -> None:
    # The customers own their interactions' labels: their backfill rescores the history with
    # the model now in use (a new checkpoint, named after the model).
    from frontline.customers.sentiment import sentiment_backfill_start
    from frontline.customers.tasks import backfill_sentiment_task

    backfill = sentiment_backfill_start()
    backfill_sentiment_task.delay(backfill.pk)
