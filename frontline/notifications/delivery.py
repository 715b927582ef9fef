"""Delivery after commit: live over the channel layer, and Web Push through Celery.

Neither is the record: the database is. A message the channel layer drops (channels_redis does
past ``capacity``) or a push that never arrives is found by the client's catch-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)


def broadcast(groups: Iterable[str], message: dict[str, Any]) -> None:
    """Send one message to each group (sync code: services run after commit, in a thread)."""
    groups = list(groups)
    if groups:
        async_to_sync(_send_to_groups)(groups, message)


async def _send_to_groups(groups: list[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        await layer.group_send(group, message)


def web_push_configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def queue_web_push(notification_id: int, subscription_ids: Iterable[int]) -> None:
    # One task per device, so that a retry for one slow push service resends to nobody else.
    from frontline.notifications.tasks import send_web_push_task

    for subscription_id in subscription_ids:
        send_web_push_task.delay(notification_id=notification_id, subscription_id=subscription_id)
