"""clienteling.urls plus the one-SELECT floor view (see tests/bench/floor_settings.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path

from clienteling.urls import urlpatterns as production_urlpatterns
from frontline.customers.models import Customer


def one_select(request: HttpRequest, customer_id: int) -> JsonResponse:
    row = Customer.objects.filter(pk=customer_id).values("id", "number", "first_name").first()
    if row is None:
        raise Http404
    return JsonResponse(row)


urlpatterns = [
    *production_urlpatterns,
    path("bench/floor/<int:customer_id>/", one_select, name="bench_floor"),
]
