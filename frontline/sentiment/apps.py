from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


class SentimentConfig(AppConfig):
    name = "frontline.sentiment"
    label = "sentiment"
    verbose_name = "Sentiment"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        # Loading the language detector takes a second or two: each worker process pays it
        # as it starts, not its first sync page.
        worker_process_init.connect(_warm, weak=False)
        checks.register(local_model_check)


def local_model_check(**_: Any) -> list[checks.CheckMessage]:
    """A configured local model that cannot load is said out loud at start-up (the texts are
    read by the lexicon meanwhile, so a warning rather than an error that stops the app)."""
    from pathlib import Path

    from django.conf import settings

    from frontline.sentiment.local_model import local_model_problem

    if not settings.SENTIMENT_ONNX_DIR:
        return []
    problem = local_model_problem(Path(settings.SENTIMENT_ONNX_DIR))
    if problem is None:
        return []
    return [
        checks.Warning(
            f"The local sentiment model is not used: {problem}",
            hint="Fix SENTIMENT_ONNX_DIR or empty it; the lexicon reads the texts meanwhile.",
            id="sentiment.W001",
        )
    ]


def _warm(**_: Any) -> None:
    from frontline.sentiment.scoring import models_warm

    models_warm()
