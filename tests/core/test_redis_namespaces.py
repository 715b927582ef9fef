"""Cache, channel layer and Celery share one Redis database without treading on each other."""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.cache import cache


def test_clearing_the_cache_keeps_queued_tasks_and_websocket_groups():
    client = redis.Redis.from_url(settings.REDIS_URL)
    queued_task = f"{settings.REDIS_PREFIX}:celery:test-queue"
    websocket_group = f"{settings.REDIS_PREFIX}:channels:group:staff-1"
    client.rpush(queued_task, "task")
    client.zadd(websocket_group, {"channel": 1})
    cache.set("recent-customers", [1, 2, 3])
    try:
        cache.clear()
        assert cache.get("recent-customers") is None
        assert client.llen(queued_task) == 1
        assert client.zcard(websocket_group) == 1
    finally:
        client.delete(queued_task, websocket_group)
