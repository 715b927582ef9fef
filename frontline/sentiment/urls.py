from __future__ import annotations

from django.urls import path

from frontline.sentiment import views

app_name = "sentiment"

urlpatterns = [
    path("models/", views.models_page, name="models"),
]
