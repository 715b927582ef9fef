"""The learned sentiment models: one row per nightly training, the one in use marked."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class Outcome(models.TextChoices):
    IN_USE = "in_use", pgettext_lazy("sentiment model", "Beat the default: in use")
    NOT_BETTER = "not_better", pgettext_lazy("sentiment model", "Did not beat the default")
    TOO_LITTLE = "too_little", pgettext_lazy("sentiment model", "Too little rated feedback")
    REPLACED = "replaced", pgettext_lazy("sentiment model", "Was in use, replaced by a newer model")


class LearnedModelVersion(LazyChoiceLabels):
    """A training run: how the learned model and the default read the held-out share.

    The model itself (``blob``) is kept only while it is in use or the latest; older ones keep
    their figures, for the history, and lose their bytes.
    """

    name = models.CharField(max_length=40, unique=True)
    trained_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True)
    trained_texts = models.PositiveIntegerField(default=0)
    held_out_texts = models.PositiveIntegerField(default=0)
    languages = models.JSONField(default=list, blank=True)
    # Evaluation.as_json() of each model on the held-out share; null when nothing was trained.
    learned_evaluation = models.JSONField(null=True, blank=True)
    default_evaluation = models.JSONField(null=True, blank=True)
    in_use = models.BooleanField(default=False)
    blob = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["in_use"], condition=models.Q(in_use=True), name="one_learned_model_in_use"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_outcome_display()})"
