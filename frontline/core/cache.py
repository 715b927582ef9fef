"""Django's Redis cache, made to share one Redis database with the channel layer and Celery."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

_DELETE_BATCH = 500


class NamespacedRedisCache(RedisCache):
    """``clear()`` removes only this cache's keys (by prefix) instead of flushing the database.

    Cache, channel layer and Celery broker all live in the database REDIS_URL names, each under
    its own key prefix; Django's stock ``clear()`` would FLUSHDB and drop queued tasks and
    websocket groups along with the cache.
    """

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        pattern = f"{self.key_prefix}:*" if self.key_prefix else "*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=_DELETE_BATCH):
            batch.append(key)
            if len(batch) >= _DELETE_BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
