"""HTTP for the REST connectors: httpx with tenacity retries that honour ``Retry-After``.

429, 5xx, timeouts and dropped connections are retried with exponential backoff and full
jitter (so that many workers do not retry in step), waiting exactly what ``Retry-After`` asks
when the server says: delta-seconds, which some servers send with a fraction (``2.0``), or an
HTTP date. Other 4xx answers are not retried: they mean our request is wrong.

A server that meters requests with a leaky bucket and tells how full it is on every answer
can be paced with a :class:`LeakyBucket`: requests slow to the leak rate as the bucket nears
full, so that the 429 is the exception rather than the way the client learns the limit.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)


class RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} from {response.request.url}")
        self.response = response


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass  # not a number: an HTTP date, or nothing we can read
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _wait(state: RetryCallState) -> float:
    cap = float(settings.SYNC_HTTP_BACKOFF_CAP)
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryableStatus):
        asked = retry_after_seconds(error.response)
        if asked is not None:
            return min(asked, cap)
    backoff = wait_random_exponential(multiplier=settings.SYNC_HTTP_BACKOFF, max=cap)
    return float(backoff(state))


class Pacer(Protocol):
    """Spaces a client's requests by what the server's answers say about its limits."""

    def before(self) -> None:
        """Called before every request (and every retry); may sleep."""

    def after(self, response: httpx.Response) -> None:
        """Called with every answer, errors included."""


# (requests in the bucket, bucket size) as an answer reports them, or None if it does not.
BucketReading = Callable[[httpx.Response], tuple[int, int] | None]


@dataclass
class LeakyBucket:
    """Paces requests to a server that meters them with a leaky bucket it reports on.

    Each answer says how full the server's bucket is; the bucket drains at ``leak_per_second``
    meanwhile. A request is sent at once while the bucket, drained by the time elapsed, has
    room to spare; within ``headroom`` (a share of its size) of full, the request waits until
    enough has leaked out. The steady pace is then the leak rate, and a mostly empty bucket
    costs no sleep at all.
    """

    reading: BucketReading
    leak_per_second: float
    headroom: float = 0.1
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _level: float = field(default=0.0, init=False)
    _size: int = field(default=0, init=False)
    _read_at: float = field(default=0.0, init=False)

    def wait_seconds(self) -> float:
        """How long the next request should wait for room in the bucket."""
        if not self._size:
            return 0.0
        drained = max(0.0, self._level - (self.clock() - self._read_at) * self.leak_per_second)
        ceiling = self._size * (1 - self.headroom)
        excess = drained + 1 - ceiling
        return excess / self.leak_per_second if excess > 0 else 0.0

    def before(self) -> None:
        wait = self.wait_seconds()
        if wait > 0:
            self.sleep(wait)

    def after(self, response: httpx.Response) -> None:
        reading = self.reading(response)
        if reading is not None:
            self._level, self._size = float(reading[0]), reading[1]
            self._read_at = self.clock()


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    pacer: Pacer | None = None,
    **options: Any,
) -> httpx.Response:
    retrying = Retrying(
        stop=stop_after_attempt(settings.SYNC_HTTP_ATTEMPTS),
        wait=_wait,
        retry=retry_if_exception_type(
            (httpx.TimeoutException, httpx.TransportError, RetryableStatus)
        ),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            if pacer is not None:
                pacer.before()
            response = client.request(method, url, **options)
            if pacer is not None:
                pacer.after(response)
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableStatus(response)
            if response.is_error:
                # Not retried: our request is wrong. The answer's body usually says how.
                raise httpx.HTTPStatusError(
                    f"{response.status_code} from {response.request.url}: {response.text[:300]}",
                    request=response.request,
                    response=response,
                )
            return response
    raise AssertionError("unreachable: tenacity re-raises the last error")


def secret(name: str) -> str:
    """A credential from the environment; sources store only the variable's name."""
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"environment variable {name} is not set")
    return value


def new_client(**options: Any) -> httpx.Client:
    return httpx.Client(timeout=settings.SYNC_HTTP_TIMEOUT, **options)
