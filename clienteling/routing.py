"""Websocket routes. Each domain that speaks over websockets adds its consumer here."""

from __future__ import annotations

from django.urls import URLPattern, path

from frontline.appointments.consumers import SessionSignallingConsumer
from frontline.notifications.consumers import NotificationConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="notifications"),
    path("ws/sessions/<id:booking_id>/", SessionSignallingConsumer.as_asgi(), name="session"),
    path(
        "ws/sessions/c/<str:token>/",
        SessionSignallingConsumer.as_asgi(),
        name="session_customer",
    ),
]
