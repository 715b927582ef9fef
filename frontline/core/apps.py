from django.apps import AppConfig
from django.urls import register_converter


class CoreConfig(AppConfig):
    name = "frontline.core"
    label = "core"

    def ready(self) -> None:
        from frontline.core.converters import IdConverter

        # Registered before any URLconf is loaded (they load lazily, after the apps).
        register_converter(IdConverter, "id")
