"""Celery tasks: thin and safe to run twice (source keys and claimed reminders see to it)."""

from __future__ import annotations

from celery import shared_task

from frontline.followups import automation

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (ConnectionError,),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(**TASK_OPTIONS)
def remind_followups_task() -> int:
    return automation.followups_remind()


@shared_task(**TASK_OPTIONS)
def create_followups_from_rules_task() -> dict[str, int]:
    return automation.followups_from_rules()
