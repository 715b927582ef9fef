"""Websocket routes. Each domain that speaks over websockets adds its consumer here."""

from __future__ import annotations

from django.urls import URLPattern, path

from frontline.notifications.consumers import NotificationConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="notifications"),
]
