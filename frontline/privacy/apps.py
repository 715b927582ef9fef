from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "frontline.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Connects the sign-in receivers (the audit of staff logins).
        from frontline.privacy import receivers  # noqa: F401
        from frontline.privacy.registry import personal_data_source_register
        from frontline.privacy.selectors import privacy_personal_data_export

        # No eraser: the trail is kept (its details hold no personal data in the clear), and
        # so are the erasure requests, which are the proof of the erasure.
        personal_data_source_register(
            "privacy",
            export=privacy_personal_data_export,
            relations=["privacy.PersonalDataAccess.customer", "privacy.ErasureRequest.customer"],
        )
