from django.apps import AppConfig


class SentimentConfig(AppConfig):
    name = "frontline.sentiment"
    label = "sentiment"
    verbose_name = "Sentiment"
