"""Web Push: encrypt a notification for one browser (RFC 8291) and hand it to its push service.

pywebpush does the encryption (aes128gcm) and signs the VAPID claim (RFC 8292) with
``VAPID_PRIVATE_KEY``. A 404 or 410 from the push service means the browser dropped the
subscription: it is deleted. Rate limits, server errors and network failures are worth a retry.
"""

from __future__ import annotations

import enum
import json
import logging
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from pywebpush import WebPushException, webpush
from requests import RequestException

from frontline.notifications.models import NotificationRecipient, PushSubscription
from frontline.notifications.payloads import notification_payload

logger = logging.getLogger(__name__)

# How long a push service keeps a message for a device that is offline: a shift's worth of
# news is stale by the next morning.
TIME_TO_LIVE_SECONDS = 12 * 60 * 60
GONE_STATUSES = {404, 410}
PUSH_TIMEOUT_SECONDS = 10


class PushOutcome(enum.Enum):
    SENT = "sent"
    PRUNED = "pruned"
    NOTHING_TO_SEND = "nothing to send"
    REJECTED = "rejected"


class PushServiceUnavailable(Exception):
    """The push service did not take the message this time; the task retries later."""


def push_deliver(*, notification_id: int, subscription_id: int) -> PushOutcome:
    subscription = PushSubscription.objects.filter(pk=subscription_id).first()
    entry = (
        NotificationRecipient.objects.filter(
            notification_id=notification_id,
            recipient_id=subscription.user_id if subscription else None,
        )
        .select_related("notification")
        .first()
    )
    # The device was unsubscribed, or now belongs to someone the notification is not for.
    if subscription is None or entry is None:
        return PushOutcome.NOTHING_TO_SEND
    if entry.read_at is not None:
        return PushOutcome.NOTHING_TO_SEND
    payload = notification_payload(entry.notification)
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": vapid_subject()},
            ttl=TIME_TO_LIVE_SECONDS,
            # The same topic replaces a copy still queued at the push service: a retry after a
            # lost response never shows the notification twice.
            headers={"Topic": f"notification-{notification_id}", "Urgency": "high"},
            timeout=PUSH_TIMEOUT_SECONDS,
        )
    except WebPushException as error:
        return _handle_refusal(subscription, error)
    except RequestException as error:
        raise PushServiceUnavailable(f"push service unreachable: {error}") from error
    PushSubscription.objects.filter(pk=subscription.pk).update(last_delivered_at=timezone.now())
    return PushOutcome.SENT


def _handle_refusal(subscription: PushSubscription, error: WebPushException) -> PushOutcome:
    status = error.response.status_code if error.response is not None else None
    if status in GONE_STATUSES:
        subscription.delete()
        logger.info("push subscription %s expired (%s): deleted", subscription.pk, status)
        return PushOutcome.PRUNED
    if status is None or status == 429 or status >= 500:
        raise PushServiceUnavailable(f"push service answered {status}") from error
    logger.warning("push service refused a message for subscription %s: %s", subscription.pk, error)
    return PushOutcome.REJECTED


def vapid_subject() -> str:
    """The contact push services may write to about our traffic (RFC 8292 ``sub``)."""
    if settings.VAPID_SUBJECT:
        return settings.VAPID_SUBJECT
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "frontline@localhost"
    return f"mailto:{address}"
