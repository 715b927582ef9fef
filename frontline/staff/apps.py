from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "frontline.staff"
    label = "staff"
