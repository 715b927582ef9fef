"""Staff sign-in, rate-limited: the login pages (the app's and the admin's) and the token
endpoint are public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import views as auth_views
from django.http.response import HttpResponseBase
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from frontline.core.api import ErrorSerializer
from frontline.privacy.services import sign_in_record
from frontline.staff.forms import StaffLoginForm

# Per address and per account: a shared store IP must not lock out a whole shop floor because
# of one forgotten password, while guessing one account's password from many places stays slow.
LOGIN_RATE_PER_IP = "30/m"
LOGIN_RATE_PER_ACCOUNT = "10/m"


# A reset e-mail per account a few times an hour is plenty, and keeps the form from being used
# to flood someone's inbox.
RESET_LINK_RATE_PER_IP = "20/h"
RESET_LINK_RATE_PER_ADDRESS = "3/h"


def posts_rate_limited(
    view: Callable[..., HttpResponseBase],
    *,
    per_ip: str,
    field: str,
    per_field_value: str,
) -> Callable[..., HttpResponseBase]:
    """Limit the POSTs a view answers per client address and per value of a posted field (the
    account they are about); past either limit the answer is 429."""
    per_value = ratelimit(key=f"post:{field}", rate=per_field_value, method="POST", block=True)
    per_address = ratelimit(key="ip", rate=per_ip, method="POST", block=True)
    return per_address(per_value(view))


def sign_in_rate_limited(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """The sign-in limits on a view that checks a password: per address and per account."""
    return posts_rate_limited(
        view, per_ip=LOGIN_RATE_PER_IP, field="username", per_field_value=LOGIN_RATE_PER_ACCOUNT
    )


def password_reset_rate_limited(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    return posts_rate_limited(
        view,
        per_ip=RESET_LINK_RATE_PER_IP,
        field="email",
        per_field_value=RESET_LINK_RATE_PER_ADDRESS,
    )


@method_decorator(sign_in_rate_limited, name="post")
class StaffLoginView(auth_views.LoginView):
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True


@extend_schema_view(
    post=extend_schema(
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(ErrorSerializer, description="Wrong username or password"),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; wait"),
        }
    )
)
class StaffTokenView(ObtainAuthToken):
    """POST username + password → {"token": ...} for devices; throttled like the login page."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A failure reaches the audit trail through Django's user_login_failed, as the login
        # page's does; a success does not, since a token is issued without Django's login()
        # (and its user_logged_in, which would start a tablet session): recorded here.
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            user = Token.objects.get(key=response.data["token"]).user_id
            sign_in_record(staff_id=user, succeeded=True, detail="API token")
        return response
