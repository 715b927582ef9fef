"""Celery tasks of the outbox: thin, and safe to run twice (the row is claimed first)."""

from __future__ import annotations

from celery import shared_task

from frontline.outreach import services

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (ConnectionError,),
    "retry_backoff": True,
    "max_retries": 5,
    # A message send waits on one SMTP or HTTP exchange: far below the broker's visibility
    # timeout, so a slow send is never handed to a second worker while the first still runs.
    "time_limit": 120,
    "soft_time_limit": 100,
}


@shared_task(**TASK_OPTIONS)
def deliver_message_task(message_id: int) -> str:
    return services.message_deliver(message_id=message_id)


@shared_task(**TASK_OPTIONS)
def dispatch_due_messages_task() -> int:
    from frontline.outreach.campaigns import campaigns_stalled

    due = services.messages_dispatch_due()
    for message_id in due:
        deliver_message_task.delay(message_id)
    for campaign_id in campaigns_stalled():
        queue_campaign_task.delay(campaign_id)
    return len(due)


@shared_task(**TASK_OPTIONS)
def deliver_messages_task(message_ids: list[int]) -> dict[str, int]:
    """A campaign's chunk: one SMTP connection for all its e-mails."""
    return services.messages_deliver(message_ids=message_ids)


@shared_task(**TASK_OPTIONS)
def queue_campaign_task(campaign_id: int) -> str:
    """Queue a launched campaign's audience, batch by batch; a long one continues in a fresh
    task so that none comes near the time limit. Safe to run twice: the batches take turns
    on the campaign's row and its cursor."""
    from frontline.outreach.campaigns import campaign_queue_for

    if campaign_queue_for(campaign_id=campaign_id):
        return "queued"
    queue_campaign_task.delay(campaign_id)
    return "continued"
