from django.urls import path

from frontline.core import views
from frontline.followups import views as followups_views

app_name = "core"

urlpatterns = [
    # The home screen is the associate's day (follow-ups, holds, suggestions, search box).
    path("", followups_views.my_day, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
]
