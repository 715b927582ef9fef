from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "frontline.appointments"
    label = "appointments"
    verbose_name = "Appointments (virtual styling)"

    def ready(self) -> None:
        # Importing the rule registers it with the actions engine.
        from frontline.appointments import rules  # noqa: F401
