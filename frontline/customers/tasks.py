"""Celery tasks of the customers domain: thin, take ids, tolerate rows that are gone."""

from __future__ import annotations

from celery import shared_task

from frontline.customers.services import duplicate_candidates_detect


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def detect_duplicates_task(customer_id: int) -> int:
    """Look for duplicates of one customer; returns how many candidates it holds. Idempotent."""
    return len(duplicate_candidates_detect(customer_id=customer_id))
