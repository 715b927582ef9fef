from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "frontline.privacy"
    label = "privacy"
    verbose_name = "Privacy"
