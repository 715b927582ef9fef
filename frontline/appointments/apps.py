from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "frontline.appointments"
    label = "appointments"
    verbose_name = "Appointments (virtual styling)"

    def ready(self) -> None:
        # Importing the rule registers it with the actions engine.
        from frontline.appointments import personal_data, rules  # noqa: F401
        from frontline.privacy.registry import personal_data_source_register

        personal_data_source_register(
            "appointments",
            export=personal_data.appointments_personal_data_export,
            erase=personal_data.appointments_personal_data_erase,
            relations=["appointments.Booking.customer"],
        )
