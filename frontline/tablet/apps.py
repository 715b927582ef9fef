from __future__ import annotations

from django.apps import AppConfig


class TabletConfig(AppConfig):
    """The associate's tablet as a device: offline replay of writes (idempotency keys), the
    lock after inactivity and the quick switch between staff members with a PIN."""

    name = "frontline.tablet"
    label = "tablet"
    verbose_name = "Shared tablets"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from frontline.privacy.signals import customer_erased
        from frontline.tablet.locking import tablet_session_start
        from frontline.tablet.personal_data import idempotent_answers_erase

        user_logged_in.connect(tablet_session_start, dispatch_uid="tablet-session-start")
        customer_erased.connect(idempotent_answers_erase, dispatch_uid="tablet-erase-answers")
