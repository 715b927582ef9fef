"""Staff sign-ins on the audit trail, from Django's own signals: every way in (the app's login
page, the admin's, the API token endpoint) authenticates through ``django.contrib.auth``. The
token endpoint signs nobody in to a session, so its successes are recorded by its view
(``staff.views.StaffTokenView``); its failures arrive here like the others."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from frontline.privacy.context import client_address_set, request_address
from frontline.privacy.services import sign_in_record


@receiver(user_logged_in, dispatch_uid="privacy-signed-in")
def record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    with client_address_set(request_address(request)):
        sign_in_record(staff_id=user.pk, succeeded=True)


@receiver(user_login_failed, dispatch_uid="privacy-sign-in-failed")
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The account is named when it exists. What was typed for an unknown account is not kept:
    people type their password into the username box, and the trail must not hold it."""
    username = str(credentials.get("username") or "")
    staff_id = (
        get_user_model()
        .objects.filter(**{get_user_model().USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
        if username
        else None
    )
    detail = "" if staff_id else "unknown account"
    with client_address_set(request_address(request)):
        sign_in_record(staff_id=staff_id, succeeded=False, detail=detail)
