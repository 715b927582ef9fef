from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "frontline.staff"
    label = "staff"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from frontline.staff.time_zones import remember_store_time_zone

        user_logged_in.connect(remember_store_time_zone, dispatch_uid="staff-time-zone")
