"""HTTP for the REST connectors: httpx with tenacity retries that honour ``Retry-After``.

429, 5xx, timeouts and dropped connections are retried with exponential backoff and full
jitter (so that many workers do not retry in step), waiting exactly what ``Retry-After`` asks
when the server says. Other 4xx answers are not retried: they mean our request is wrong.
"""

from __future__ import annotations

import os
from email.utils import parsedate_to_datetime
from typing import Any

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
    if value.isdigit():
        return float(value)
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


def request(client: httpx.Client, method: str, url: str, **options: Any) -> httpx.Response:
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
            response = client.request(method, url, **options)
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
