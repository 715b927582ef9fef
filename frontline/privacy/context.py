"""Where the current request came from, for the audit trail.

Services record personal-data accesses without being handed the request; the audit middleware
puts the client's address here for the length of each request, and
``personal_data_access_record`` reads it. Outside a request (Celery, commands) it is None.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

_client_address: ContextVar[str | None] = ContextVar("frontline_client_address", default=None)


def request_address(request: HttpRequest | None) -> str | None:
    """The request's client address as the rate limits see it (REMOTE_ADDR), if it is one.

    Behind a proxy the deployment sets REMOTE_ADDR from the proxy's header (as the rate limits
    need too); a header the client sends is never trusted here.
    """
    if request is None:
        return None
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address() -> str | None:
    return _client_address.get()


@contextmanager
def client_address_set(address: str | None) -> Iterator[None]:
    token = _client_address.set(address)
    try:
        yield
    finally:
        _client_address.reset(token)
