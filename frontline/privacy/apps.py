from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "frontline.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Connects the sign-in receivers (the audit of staff logins).
        from frontline.privacy import receivers  # noqa: F401
