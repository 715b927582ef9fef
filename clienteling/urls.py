from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from frontline.actions.urls import api_urlpatterns as actions_api_urlpatterns
from frontline.core.rate_limits import public_rate_limited
from frontline.followups.urls import api_urlpatterns as followups_api_urlpatterns
from frontline.notifications import urls as notification_urls
from frontline.outreach.urls import api_urlpatterns as outreach_api_urlpatterns
from frontline.staff.views import (
    StaffLoginView,
    StaffTokenView,
    password_reset_rate_limited,
    sign_in_rate_limited,
)

admin.site.site_header = "Frontline back office"
admin.site.site_title = "Frontline"

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", StaffTokenView.as_view(), name="token"),
    path("customers/", include("frontline.customers.api_urls")),
    # The API's description is public; building it is the API's costliest answer.
    path(
        "schema/",
        public_rate_limited(SpectacularAPIView.as_view(), group="api.schema"),
        name="schema",
    ),
    path(
        "docs/",
        public_rate_limited(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema"), group="api.docs"
        ),
        name="docs",
    ),
    path("catalog/", include("frontline.catalog.api_urls")),
    path(
        "notifications/",
        include((notification_urls.api_urlpatterns, "notifications"), namespace="notifications"),
    ),
    path("actions/", include((actions_api_urlpatterns, "actions"))),
    path("followups/", include((followups_api_urlpatterns, "followups"))),
    path("privacy/", include("frontline.privacy.api_urls")),
    path("outreach/", include((outreach_api_urlpatterns, "outreach"))),
]

urlpatterns = [
    path("", include("frontline.core.urls")),
    path("customers/", include("frontline.customers.urls")),
    path(
        "accounts/login/",
        public_rate_limited(StaffLoginView.as_view(), group="staff.login"),
        name="login",
    ),
    path(
        "accounts/logout/",
        public_rate_limited(auth_views.LogoutView.as_view(), group="staff.logout"),
        name="logout",
    ),
    # Staff change their password, or choose a new one through a link sent by e-mail.
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        public_rate_limited(
            password_reset_rate_limited(auth_views.PasswordResetView.as_view()),
            group="staff.password_reset",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        public_rate_limited(
            auth_views.PasswordResetDoneView.as_view(), group="staff.password_reset_done"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        public_rate_limited(
            auth_views.PasswordResetConfirmView.as_view(), group="staff.password_reset_confirm"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        public_rate_limited(
            auth_views.PasswordResetCompleteView.as_view(), group="staff.password_reset_complete"
        ),
        name="password_reset_complete",
    ),
    # The admin's own sign-in checks passwords too: the same limits as the app's.
    path(
        "admin/login/",
        public_rate_limited(sign_in_rate_limited(admin.site.login), group="staff.admin_login"),
    ),
    path("admin/", admin.site.urls),
    path("stock/", include("frontline.catalog.urls")),
    path("notifications/", include("frontline.notifications.urls")),
    path("api/", include((api_patterns, "api"))),
    path("sync/", include("frontline.sync.urls")),
    path("actions/", include("frontline.actions.urls")),
    path("followups/", include("frontline.followups.urls")),
    path("", include("frontline.appointments.urls")),
    path("privacy/", include("frontline.privacy.urls")),
    path("tablet/", include("frontline.tablet.urls")),
    path("outreach/", include("frontline.outreach.urls")),
    path("sentiment/", include("frontline.sentiment.urls")),
    path("", include("frontline.surveys.urls")),
]

# Under /api/ a 404 or 500 answers in the API's own JSON error body.
handler404 = "frontline.core.api.not_found"
handler500 = "frontline.core.api.server_error"
