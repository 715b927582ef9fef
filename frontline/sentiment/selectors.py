"""Which model reads the customers' words now, and the training history the admin page shows."""

from __future__ import annotations

import threading

from django.db.models import QuerySet

from frontline.sentiment.learning import LearnedModel
from frontline.sentiment.models import LearnedModelVersion
from frontline.sentiment.scoring import SentimentModel, default_model

# The learned model last loaded by this process, by its row: unpickling takes a fraction of a
# second, so it happens once per process and model, never per text.
_loaded: dict[tuple[int, str], LearnedModel] = {}
_loading = threading.Lock()


def model_in_use() -> SentimentModel:
    """The learned model marked in use, else the shipped default.

    One indexed query per call (a write, a sync page, a backfill chunk): every process follows a
    nightly switch at once, and a test's rolled-back training leaves nothing behind.
    """
    # By id and name: a name is unique for ever, an id may come back after a rollback.
    version = LearnedModelVersion.objects.filter(in_use=True).values_list("pk", "name").first()
    if version is None:
        return default_model()
    loaded = _loaded.get(version)
    if loaded is not None:
        return loaded
    with _loading:
        if version not in _loaded:
            blob = LearnedModelVersion.objects.values_list("blob", flat=True).get(pk=version[0])
            # The model in use always keeps its bytes (services.learned_model_retrain).
            assert blob is not None
            _loaded.clear()
            _loaded[version] = LearnedModel.loads(bytes(blob))
        return _loaded[version]


def model_versions(limit: int = 10) -> QuerySet[LearnedModelVersion]:
    """The latest trainings, newest first, without the models' bytes."""
    return LearnedModelVersion.objects.defer("blob")[:limit]
