from __future__ import annotations

from django.urls import path

from frontline.sync import views, webhooks

app_name = "sync"

urlpatterns = [
    path("runs/", views.run_list, name="runs"),
    path("runs/<id:run_id>/", views.run_detail, name="run"),
    path("webhooks/<slug:source_name>/", webhooks.webhook_receive, name="webhook"),
]
