"""Recommended next actions: what the engine suggests now, and what associates did with it.

Suggestions are derived data: the nightly batch and the per-customer refresh rewrite them at
will. Outcomes are facts: they are never rewritten, so acceptance and conversion per rule can
be measured over any period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class ActionSuggestion(models.Model):
    """One rule's current suggestion for one customer (at most one per rule and customer)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="action_suggestions"
    )
    rule = models.CharField(max_length=40)
    score = models.FloatField(help_text="0..100; higher first")
    reason = models.CharField(max_length=300, help_text="Plain language, shown to the associate")
    data = models.JSONField(default=dict, help_text="The facts behind the reason")
    channel = models.CharField(
        max_length=10, blank=True, help_text="Suggested contact channel (consented), if any"
    )
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "rule"], name="one_suggestion_per_rule")
        ]

    def __str__(self) -> str:
        return f"{self.rule} for {self.customer_id} ({self.score:.0f})"

    @property
    def rule_label(self) -> str:
        from frontline.actions.registry import registry

        rule = registry.get(self.rule)
        return rule.label if rule else self.rule

    @property
    def facts(self) -> list[tuple[str, object]]:
        """The data behind the reason, as (label, value) pairs for the "Why?" disclosure."""
        return [(key.replace("_", " ").capitalize(), value) for key, value in self.data.items()]


class OutcomeKind(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("action", "Accepted")
    SNOOZED = "snoozed", pgettext_lazy("action", "Snoozed")
    DISMISSED = "dismissed", pgettext_lazy("action", "Dismissed")


class DismissReason(models.TextChoices):
    NOT_RELEVANT = "not_relevant", pgettext_lazy("action", "Not relevant for this customer")
    ALREADY_DONE = "already_done", pgettext_lazy("action", "Already done")
    CUSTOMER_DECLINED = "customer_declined", pgettext_lazy("action", "Customer does not want this")
    WRONG_DATA = "wrong_data", pgettext_lazy("action", "The data behind it is wrong")
    OTHER = "other", pgettext_lazy("action", "Other")


class ActionOutcome(LazyChoiceLabels):
    """What a staff member did with a suggestion; a snapshot, kept when the suggestion goes."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="action_outcomes"
    )
    rule = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=OutcomeKind.choices)
    dismiss_reason = models.CharField(max_length=20, choices=DismissReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    score = models.FloatField()
    reason = models.CharField(max_length=300)
    data = models.JSONField(default=dict)
    channel = models.CharField(max_length=10, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The customer's store when the decision was made: managers see their stores' figures.
    store = models.ForeignKey(
        "staff.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "rule", "-decided_at"], name="outcome_per_rule"),
            models.Index(fields=["store", "decided_at"], name="outcome_store_period"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="snoozed") | models.Q(snoozed_until__isnull=False),
                name="snooze_has_an_end",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dismissed") | ~models.Q(dismiss_reason=""),
                name="dismissal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} for {self.customer_id}: {self.kind}"


class BatchStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("action", "Running")
    FINISHED = "finished", pgettext_lazy("action", "Finished")
    ABANDONED = (
        "abandoned",
        pgettext_lazy("action", "Abandoned (a worker died; a later run replaced it)"),
    )


class ActionBatchRun(LazyChoiceLabels):
    """Progress of one nightly recomputation, so a killed worker resumes where it stopped.

    Each chunk's suggestions and ``last_customer_id`` are written in the same transaction:
    a chunk is either done and recorded, or neither.
    """

    as_of = models.DateTimeField(help_text="The moment every rule evaluates against")
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.RUNNING
    )
    last_customer_id = models.BigIntegerField(default=0)
    max_customer_id = models.BigIntegerField(default=0)
    chunk_size = models.PositiveIntegerField()
    chunks_done = models.PositiveIntegerField(default=0)
    suggestions_written = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one run in progress: two workers never recompute the same night twice.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="one_running_batch"
            )
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status}, up to customer {self.last_customer_id})"
