from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "frontline.staff"
    label = "staff"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from frontline.staff.languages import remember_store_language
        from frontline.staff.time_zones import remember_store_time_zone

        user_logged_in.connect(remember_store_time_zone, dispatch_uid="staff-time-zone")
        user_logged_in.connect(remember_store_language, dispatch_uid="staff-language")
        user_login_failed.connect(_count_failure, dispatch_uid="staff-lockout-failure")
        user_logged_in.connect(_clear_failures, dispatch_uid="staff-lockout-success")


def _count_failure(*, credentials: dict[str, Any], **_: Any) -> None:
    from frontline.staff.lockout import sign_in_failure_add

    username = credentials.get("username")
    if username:
        sign_in_failure_add(username=str(username))


def _clear_failures(*, user: Any, **_: Any) -> None:
    from frontline.staff.lockout import sign_in_failures_clear

    sign_in_failures_clear(username=user.get_username())
