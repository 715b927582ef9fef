"""Celery tasks of the appointments domain: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from frontline.appointments import services


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_booking_email_task(booking_id: int, kind: str, sequence: int) -> bool:
    """Send one e-mail about one version of a booking (at most once; a vanished booking is
    skipped). SMTP trouble shows as OSError: retried with backoff."""
    return services.booking_email_send(booking_id=booking_id, kind=kind, sequence=sequence)


@shared_task(acks_late=True)
def queue_booking_reminders_task() -> int:
    """Beat, every five minutes: the 24 h and 1 h reminders, and the stylists' 10-minute call."""
    return services.booking_reminders_queue()
