"""Celery tasks: thin."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from frontline.recommendations import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_product_similarities_task() -> dict[str, float]:
    # Idempotent: the tables are replaced in one transaction from the order history.
    return asdict(services.similarities_recompute())
