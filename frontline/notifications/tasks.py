"""Celery tasks: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from frontline.notifications.push import PushServiceUnavailable, push_deliver


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(PushServiceUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=45,
    time_limit=60,
)
def send_web_push_task(*, notification_id: int, subscription_id: int) -> str:
    return push_deliver(notification_id=notification_id, subscription_id=subscription_id).value


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=45, time_limit=60)
def send_test_notification_task(*, user_id: int, title: str = "", body: str = "") -> int | None:
    """Raise a test notification from a worker (demos, and the scale-out test)."""
    from frontline.notifications.services import notification_test_send

    notification = notification_test_send(user_id=user_id, title=title, body=body)
    return notification.pk if notification else None
