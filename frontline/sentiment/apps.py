from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class SentimentConfig(AppConfig):
    name = "frontline.sentiment"
    label = "sentiment"
    verbose_name = "Sentiment"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        # Loading the language detector takes a second or two: each worker process pays it
        # as it starts, not its first sync page.
        worker_process_init.connect(_warm, weak=False)


def _warm(**_: Any) -> None:
    from frontline.sentiment.scoring import models_warm

    models_warm()
