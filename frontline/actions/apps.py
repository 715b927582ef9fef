from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "frontline.actions"
    label = "actions"
    verbose_name = "Recommended actions"

    def ready(self) -> None:
        from frontline.actions import personal_data
        from frontline.privacy.registry import personal_data_source_register

        personal_data_source_register(
            "actions",
            export=personal_data.actions_personal_data_export,
            erase=personal_data.actions_personal_data_erase,
            relations=["actions.ActionSuggestion.customer", "actions.ActionOutcome.customer"],
        )
        # Importing the rules registers them; the registry is complete once Django is ready.
        from frontline.actions import rules  # noqa: F401
        from frontline.actions.conf import ActionSettings

        # A typo in settings.ACTIONS fails at start-up with the key named, not at 02:30.
        ActionSettings.load()
