from __future__ import annotations

from django.urls import path

from frontline.privacy import views

app_name = "privacy"

urlpatterns = [
    path("customers/<id:customer_id>/export/", views.customer_export, name="customer_export"),
    path("customers/<id:customer_id>/erase/", views.customer_erase, name="customer_erase"),
    path("erasures/<id:erasure_id>/", views.erasure, name="erasure"),
]
