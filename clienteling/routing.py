"""Websocket routes. Each domain that speaks over websockets adds its consumer here."""

from __future__ import annotations

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
