from django.urls import path

from frontline.notifications import api, views

app_name = "notifications"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/open/", views.open_link, name="open"),
]

api_urlpatterns = [
    path("", api.notification_list, name="list"),
    path("<int:pk>/read/", api.notification_read, name="read"),
    path("read-all/", api.notification_read_all, name="read_all"),
    path("push/", api.push_settings, name="push_settings"),
    path("push/subscriptions/", api.push_subscriptions, name="push_subscriptions"),
]
