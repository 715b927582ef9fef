"""Which model reads the customers' words now, and the training history the admin page shows."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.db.models import QuerySet

from frontline.sentiment.learning import LearnedModel
from frontline.sentiment.models import LearnedModelVersion
from frontline.sentiment.scoring import SentimentModel, default_model

# The learned model last loaded by this process, by its row: unpickling takes a fraction of a
# second, so it happens once per process and model, never per text.
Version = tuple[int, str]


@dataclass
class _InUse:
    """This process's view of which version is in use, and the models it has loaded."""

    version: Version | None = None
    checked_at: float | None = None
    loaded: dict[Version, LearnedModel] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


# Which version is in use is asked of the database at most this often per process: a query per
# scored text would cost more than the scoring. A switch reaches every worker within this time.
CHECK_SECONDS = 10.0
_in_use = _InUse()


def model_in_use() -> SentimentModel:
    """The learned model marked in use, else the shipped default."""
    now = time.monotonic()
    if _in_use.checked_at is None or now - _in_use.checked_at >= CHECK_SECONDS:
        # By id and name: a name is unique for ever, an id may come back after a rollback.
        _in_use.version = (
            LearnedModelVersion.objects.filter(in_use=True).values_list("pk", "name").first()
        )
        _in_use.checked_at = now
    version = _in_use.version
    if version is None:
        return default_model()
    loaded = _in_use.loaded.get(version)
    return loaded if loaded is not None else _load(version)


def _load(version: Version) -> SentimentModel:
    with _in_use.lock:
        if version not in _in_use.loaded:
            blob = (
                LearnedModelVersion.objects.filter(pk=version[0], name=version[1])
                .values_list("blob", flat=True)
                .first()
            )
            if blob is None:
                # Replaced since this process last looked (a replaced model loses its bytes):
                # the default reads this text, and the next one asks again.
                model_in_use_forget()
                return default_model()
            _in_use.loaded.clear()
            _in_use.loaded[version] = LearnedModel.loads(bytes(blob))
        return _in_use.loaded[version]


def model_in_use_forget() -> None:
    """Ask the database again on the next text (after a switch in this process, or a test)."""
    _in_use.checked_at = None


def model_versions(limit: int = 10) -> QuerySet[LearnedModelVersion]:
    """The latest trainings, newest first, without the models' bytes."""
    return LearnedModelVersion.objects.defer("blob")[:limit]
