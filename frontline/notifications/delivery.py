"""Delivery after commit: live over the channel layer, and Web Push through Celery.

Neither is the record: the database is. A message the channel layer drops (channels_redis does
past ``capacity``) or a push that never arrives is found by the client's catch-up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 5.0


class _SenderLoop:
    """One event loop per process, in a daemon thread, that sync code hands its sends to.

    ``async_to_sync`` called from a plain thread would start a fresh event loop per call, and
    channels_redis opens a fresh Redis connection for every loop: several milliseconds before
    each notification even leaves. A long-lived loop keeps one connection pool warm.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Any) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        future.result(timeout=SEND_TIMEOUT_SECONDS)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            # A forked child (a Celery prefork worker) does not inherit the parent's thread.
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="notifications-sender", daemon=True
                ).start()
            return self._loop


_sender = _SenderLoop()


def broadcast(groups: Iterable[str], message: dict[str, Any]) -> None:
    """Send one message to each group, from sync code (services run after commit)."""
    groups = list(groups)
    if groups:
        _sender.run(_send_to_groups(groups, message))


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
