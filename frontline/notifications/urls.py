from __future__ import annotations

from django.urls import URLPattern, path

from frontline.notifications import api, views

app_name = "notifications"

urlpatterns: list[URLPattern] = [
    path("", views.centre, name="centre"),
    path("<id:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<id:pk>/open/", views.open_link, name="open"),
]

api_urlpatterns: list[URLPattern] = [
    path("", api.notification_list, name="list"),
    path("<id:pk>/read/", api.notification_read, name="read"),
    path("read-all/", api.notification_read_all, name="read_all"),
    path("push/", api.push_settings, name="push_settings"),
    path("push/subscriptions/", api.push_subscriptions, name="push_subscriptions"),
]
