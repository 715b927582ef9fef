"""The JSON shape of a notification, the same over the socket, the REST API and Web Push."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontline.notifications.models import Notification, NotificationRecipient


def notification_payload(
    notification: Notification, *, read_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "store_id": notification.store_id,
        "created_at": notification.created_at.isoformat(),
        "read": read_at is not None,
    }


def received_payload(entry: NotificationRecipient) -> dict[str, Any]:
    return notification_payload(entry.notification, read_at=entry.read_at)
