from __future__ import annotations

from django.urls import path

from frontline.tablet import views

app_name = "tablet"

urlpatterns = [
    path("lock/", views.lock, name="lock"),
    path("locked/", views.locked, name="locked"),
    path("unlock/", views.unlock, name="unlock"),
    path("pin/", views.pin, name="pin"),
]
