from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from frontline.notifications import urls as notification_urls
from frontline.staff.forms import StaffLoginForm

admin.site.site_header = "Frontline back office"
admin.site.site_title = "Frontline"

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path(
        "notifications/",
        include((notification_urls.api_urlpatterns, "notifications"), namespace="notifications"),
    ),
]

urlpatterns = [
    path("", include("frontline.core.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=StaffLoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("notifications/", include("frontline.notifications.urls")),
    path("api/", include((api_patterns, "api"))),
]
