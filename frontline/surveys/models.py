"""One-question surveys (0-10: how likely are you to recommend us?) and their answers.

A survey is sent once per thing it asks about (a purchase, an appointment: ``about_key``), by
e-mail or the outreach channel the customer agreed to, with a signed, expiring link; the
customer answers on a public page. The answer lands on their timeline with its sentiment,
counts towards the store's and the associate's NPS, and a detractor's raises a
service-recovery follow-up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("survey", "E-mail")
    SMS = "sms", pgettext_lazy("survey", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("survey", "WhatsApp")


class About(models.TextChoices):
    PURCHASE = "purchase", pgettext_lazy("survey", "A purchase")
    APPOINTMENT = "appointment", pgettext_lazy("survey", "An appointment")


class Survey(LazyChoiceLabels):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="surveys"
    )
    store = models.ForeignKey("staff.Store", on_delete=models.PROTECT, related_name="+")
    # Who served the customer: NPS per associate.
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    about = models.CharField(max_length=12, choices=About.choices)
    # "order:<id>", "booking:<id>": one survey per purchase or appointment, however often the
    # sending job runs.
    about_key = models.CharField(max_length=60, unique=True)
    # The random value the signed link carries; never shown alone.
    token = models.CharField(max_length=32, unique=True)
    # E-mail when the customer agreed to service e-mails; otherwise the outreach channel
    # (SMS, WhatsApp) they agreed to service messages on, through the outreach outbox.
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    email = models.EmailField(blank=True, help_text="Where it was sent, when by e-mail")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 to 10")
    comment = models.TextField(max_length=2000, blank=True)
    # How the comment reads (frontline.sentiment), as on the timeline.
    sentiment = models.CharField(max_length=8, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    interaction = models.ForeignKey(
        "customers.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recovery = models.ForeignKey(
        "followups.FollowUp",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The service-recovery follow-up a detractor's answer raised",
    )

    class Meta:
        indexes = [
            models.Index(fields=["store", "answered_at"], name="survey_store_answers"),
            models.Index(fields=["customer", "created_at"], name="survey_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=10),
                name="survey_score_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(answered_at__isnull=True) | models.Q(score__isnull=False),
                name="survey_answer_has_score",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey {self.pk} about {self.about_key}"

    @property
    def is_detractor(self) -> bool:
        return self.score is not None and self.score <= 6
