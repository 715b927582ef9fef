from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "frontline.appointments"
    label = "appointments"
    verbose_name = "Appointments (virtual styling)"
