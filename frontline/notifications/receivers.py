"""Keeping open sockets in step with who their staff member now is.

These are signal receivers because the changes they follow have no service of ours to call
from: store assignments are edited in the Django admin (an inline on the staff member), and
every sign-out, from our logout page or the admin's, goes through ``django.contrib.auth.logout``,
which sends ``user_logged_out`` while the session is still there. The receivers only hand over to
services, which act after commit. Bulk writes (``bulk_create``, ``QuerySet.update``) send no
signals; code that moves staff between stores that way calls ``live_groups_refresh`` itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from frontline.notifications.services import live_groups_refresh, live_session_close
from frontline.staff.models import StoreAssignment, User


@receiver(post_save, sender=StoreAssignment, dispatch_uid="notifications-assignment-saved")
@receiver(post_delete, sender=StoreAssignment, dispatch_uid="notifications-assignment-deleted")
def assignment_changed(sender: Any, instance: StoreAssignment, **kwargs: Any) -> None:
    live_groups_refresh(user_id=instance.user_id)


@receiver(post_save, sender=User, dispatch_uid="notifications-user-saved")
def user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    # A deactivated account's sockets close; saves of active accounts (every sign-in updates
    # last_login) change nothing a socket hears.
    if not created and not instance.is_active:
        live_groups_refresh(user_id=instance.pk)


@receiver(user_logged_out, dispatch_uid="notifications-signed-out")
def signed_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        live_session_close(user_id=user.pk, session_key=session_key)
