from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "frontline.recommendations"
    label = "recommendations"
    verbose_name = "Product recommendations"
