from __future__ import annotations

from django.urls import path

from frontline.privacy import api

app_name = "privacy"

urlpatterns = [
    path(
        "customers/<id:customer_id>/export/",
        api.CustomerExportApi.as_view(),
        name="customer_export",
    ),
    path(
        "customers/<id:customer_id>/erasure/",
        api.CustomerErasureApi.as_view(),
        name="customer_erase",
    ),
    path("erasures/<id:erasure_id>/", api.ErasureApi.as_view(), name="erasure"),
]
