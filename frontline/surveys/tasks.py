from __future__ import annotations

from celery import shared_task

from frontline.surveys.services import survey_email_send, surveys_after_purchases


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError, OSError),
    retry_backoff=True,
    max_retries=5,
)
def send_survey_email_task(survey_id: int) -> bool:
    """E-mail one survey; sent at most once (claimed first), retried when the server fails."""
    return survey_email_send(survey_id=survey_id)


@shared_task(acks_late=True)
def send_purchase_surveys_task() -> int:
    """Hourly: the surveys of yesterday's purchases (idempotent, one survey per sale)."""
    return surveys_after_purchases()
