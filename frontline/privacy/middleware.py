"""The audit's view of each request: where it came from, and refusals of personal data."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from frontline.privacy.context import client_address_set, request_address
from frontline.privacy.services import personal_data_denial_record

# URL namespaces whose pages and endpoints show a customer's personal data: a 403 or 404 there
# is a refused (or mistaken) look at someone's data, and goes on the record.
PERSONAL_DATA_NAMESPACES = frozenset(
    {
        "customers",
        "api:customers",
        "privacy",
        "api:privacy",
        "actions",
        "api:actions",
        "outreach",
        "api:outreach",
    }
)
DENIALS = frozenset({403, 404})


class AuditMiddleware:
    """Sets the client address for the audit trail, and records refusals on personal data.

    Placed after the authentication middleware: a refusal is recorded for a signed-in staff
    member only (the anonymous are sent to sign in, which is no look at anything).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with client_address_set(request_address(request)):
            response = self.get_response(request)
            if response.status_code in DENIALS:
                self._record_denial(request, response)
        return response

    @staticmethod
    def _record_denial(request: HttpRequest, response: HttpResponse) -> None:
        match = request.resolver_match
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return
        if match.namespace not in PERSONAL_DATA_NAMESPACES:
            return
        personal_data_denial_record(
            staff_id=user.pk,
            customer_reference=match.kwargs.get("customer_id"),
            detail=f"{request.method} {request.path} {response.status_code}",
        )
