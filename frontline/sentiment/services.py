"""Training the learned model, keeping its record, and switching the model in use."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from frontline.sentiment.feedback import rated_feedback
from frontline.sentiment.learning import Evaluation, RatedText, Training, model_train
from frontline.sentiment.models import LearnedModelVersion, Outcome
from frontline.sentiment.selectors import model_in_use_forget

logger = logging.getLogger("frontline.sentiment")


def learned_model_retrain(*, rated: Sequence[RatedText] | None = None) -> LearnedModelVersion:
    """Train on the brand's rated feedback (or ``rated``), and use the result only if it wins.

    The new model is put in use when its macro-F1 on the held-out share beats the shipped
    default's on the same share; otherwise whatever was in use stays. Training happens outside
    any transaction (it takes seconds to minutes); only the record and the switch are atomic.
    """
    rated = list(rated_feedback()) if rated is None else list(rated)
    now = timezone.now()
    training = model_train(rated=rated, name=f"learned-{now:%Y%m%d-%H%M%S-%f}")
    with transaction.atomic():
        version = _version_record(training, now)
        if training.learned_is_better:
            _in_use_switch(version)
        # Only the model in use and the newest keep their bytes: the history keeps the figures.
        LearnedModelVersion.objects.exclude(pk=version.pk).filter(in_use=False).update(blob=None)
    # This process reads with the new model at once; the others within CHECK_SECONDS.
    model_in_use_forget()
    logger.info(
        "Sentiment model %s: %s (learned macro-F1 %s, default %s, %s texts)",
        version.name,
        version.outcome,
        (version.learned_evaluation or {}).get("macro_f1"),
        (version.default_evaluation or {}).get("macro_f1"),
        len(rated),
    )
    return version


def _version_record(training: Training, now: datetime) -> LearnedModelVersion:
    learned = training.learned
    outcome = (
        Outcome.TOO_LITTLE
        if learned is None
        else Outcome.IN_USE
        if training.learned_is_better
        else Outcome.NOT_BETTER
    )
    return LearnedModelVersion.objects.create(
        name=learned.name if learned else f"untrained-{now:%Y%m%d-%H%M%S-%f}",
        trained_at=now,
        outcome=outcome,
        note=training.note,
        trained_texts=training.trained,
        held_out_texts=training.held_out,
        languages=sorted(learned.languages) if learned else [],
        learned_evaluation=_as_json(training.learned_evaluation),
        default_evaluation=_as_json(training.default_evaluation),
        blob=learned.dumps() if learned else None,
    )


def _as_json(evaluation: Evaluation | None) -> dict[str, object] | None:
    return evaluation.as_json() if evaluation is not None else None


def _in_use_switch(version: LearnedModelVersion) -> None:
    previous = LearnedModelVersion.objects.select_for_update().filter(in_use=True)
    previous.update(in_use=False, outcome=Outcome.REPLACED)
    version.in_use = True
    version.save(update_fields=["in_use"])
