"""Staff sign-in, rate-limited: the login pages (the app's and the admin's) and the token
endpoint are public."""

from __future__ import annotations

from collections.abc import Callable

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
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle

from frontline.core.api import ErrorSerializer
from frontline.staff.forms import StaffLoginForm

# Per address and per account: a shared store IP must not lock out a whole shop floor because
# of one forgotten password, while guessing one account's password from many places stays slow.
LOGIN_RATE_PER_IP = "30/m"
LOGIN_RATE_PER_ACCOUNT = "10/m"


def sign_in_rate_limited(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """The sign-in limits on a view that checks a password: per address and per account."""
    per_account = ratelimit(
        key="post:username", rate=LOGIN_RATE_PER_ACCOUNT, method="POST", block=True
    )
    per_address = ratelimit(key="ip", rate=LOGIN_RATE_PER_IP, method="POST", block=True)
    return per_address(per_account(view))


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
