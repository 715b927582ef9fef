from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "frontline.actions"
    label = "actions"
    verbose_name = "Recommended actions"

    def ready(self) -> None:
        # Importing the rules registers them; the registry is complete once Django is ready.
        from frontline.actions import rules  # noqa: F401
        from frontline.actions.conf import ActionSettings

        # A typo in settings.ACTIONS fails at start-up with the key named, not at 02:30.
        ActionSettings.load()
