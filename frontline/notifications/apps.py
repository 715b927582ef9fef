from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "frontline.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connects the receivers that keep open sockets in step with store assignments,
        # deactivations and sign-outs.
        from frontline.notifications import personal_data, receivers  # noqa: F401
        from frontline.privacy.registry import personal_data_source_register

        personal_data_source_register(
            "notifications",
            export=personal_data.notifications_personal_data_export,
            erase=personal_data.notifications_personal_data_erase,
            relations=["notifications.Notification.customer"],
        )
