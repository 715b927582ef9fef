from __future__ import annotations

from django.urls import path

from frontline.surveys import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:survey_link>/", views.answer, name="answer"),
]
