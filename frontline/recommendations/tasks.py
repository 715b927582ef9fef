"""Celery tasks: thin."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from frontline.recommendations import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_product_similarities_task() -> dict[str, float]:
    # Idempotent: the tables are replaced in one transaction from the order history.
    return asdict(services.similarities_recompute())


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
)
def refresh_customer_recommendations_task(customer_ids: list[int]) -> int:
    # Idempotent: each list is rescored from the history as it stands; a customer gone meanwhile
    # has nothing to score and no row.
    return sum(services.customer_list_refresh(customer_id=c) for c in customer_ids)
