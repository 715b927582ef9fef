"""Celery tasks of the appointments domain: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from frontline.appointments import services
from frontline.appointments.models import BookingEmail


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


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def booking_made_task(
    booking_id: int, sequence: int, customer_id: int, customer_is_new: bool
) -> None:
    """What follows a new booking, queued as one message by the customer's request and fanned
    out here, each part its own task with its own retries: the confirmation e-mail, the
    customer's actions recomputed ("prepare for the session"), and for a customer the booking
    created, the look for duplicates (someone known under other contact points, or an uncertain
    match: either way a question for the merge review queue). Run twice, it queues them twice,
    which each tolerates (as they do a booking or customer gone meanwhile)."""
    # Imported here: those domains' task modules import their services, which import ours.
    from frontline.actions.tasks import refresh_actions_for_customer_task
    from frontline.customers.tasks import detect_duplicates_task

    send_booking_email_task.delay(booking_id, BookingEmail.Kind.CONFIRMATION, sequence)
    refresh_actions_for_customer_task.delay(customer_id)
    if customer_is_new:
        detect_duplicates_task.delay(customer_id)


@shared_task(acks_late=True)
def queue_booking_reminders_task() -> int:
    """Beat, every five minutes: the 24 h and 1 h reminders, and the stylists' 10-minute call."""
    return services.booking_reminders_queue()
