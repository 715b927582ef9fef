from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "frontline.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connects the receivers that keep open sockets in step with store assignments,
        # deactivations and sign-outs.
        from frontline.notifications import receivers  # noqa: F401
