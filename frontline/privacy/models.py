"""The audit trail of who read or changed whose personal data.

Rows are only ever added: nothing in Frontline updates or deletes them, and they never move
when customers are merged (the trail says what was looked at, as it was). On PostgreSQL a
trigger refuses any other change (migration 0003): the only update let through is the
``SET NULL`` of a staff member or customer row that is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class AccessAction(models.TextChoices):
    PROFILE_VIEWED = "profile_viewed", pgettext_lazy("privacy", "Viewed the profile")
    PROFILE_READ_API = (
        "profile_read_api",
        pgettext_lazy("privacy", "Read the profile through the API"),
    )
    LISTED = (
        "listed",
        pgettext_lazy("privacy", "Saw name and contact details in a list of customers"),
    )
    TIMELINE_READ = "timeline_read", pgettext_lazy("privacy", "Read the timeline")
    PROFILE_CREATED = "profile_created", pgettext_lazy("privacy", "Created the profile")
    PROFILE_EDITED = "profile_edited", pgettext_lazy("privacy", "Edited the profile")
    CUSTOMERS_MERGED = "customers_merged", pgettext_lazy("privacy", "Merged two customers")
    MERGE_UNDONE = "merge_undone", pgettext_lazy("privacy", "Undid a merge")
    SEARCHED = "searched", pgettext_lazy("privacy", "Searched customers (the query, masked)")
    EXPORTED = "exported", pgettext_lazy("privacy", "Exported all the customer's data")
    ERASED = "erased", pgettext_lazy("privacy", "Erased the customer's personal data")
    SIGNED_IN = "signed_in", pgettext_lazy("privacy", "Signed in")
    SIGN_IN_FAILED = "sign_in_failed", pgettext_lazy("privacy", "Failed to sign in")
    ACCESS_DENIED = (
        "access_denied",
        pgettext_lazy("privacy", "Was refused a personal-data page (403/404)"),
    )


class PersonalDataAccess(LazyChoiceLabels):
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SET_NULL so that erasing a customer (a later issue) keeps the trail of who looked.
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    detail = models.CharField(max_length=200, blank=True)
    accessed_at = models.DateTimeField(auto_now_add=True)
    # Where the request came from (REMOTE_ADDR, as the rate limits see it); NULL for work that
    # no request caused (Celery, management commands).
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "personal data accesses"
        indexes = [
            models.Index(fields=["staff", "-accessed_at"], name="access_by_staff"),
            models.Index(fields=["customer", "-accessed_at"], name="access_to_customer"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.staff_id} {self.action} {self.customer_id} at {self.accessed_at:%Y-%m-%d %H:%M}"
        )


class ErasureStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", pgettext_lazy("privacy", "Waiting for connected systems")
    COMPLETED = "completed", pgettext_lazy("privacy", "Erased everywhere")


class ErasureRequest(LazyChoiceLabels):
    """A customer's erasure (GDPR art. 17 / CCPA deletion), tracked until every system confirms.

    Frontline erases its own copy at once (one step, done); each connected system that knows
    the customer (an identity) gets a step that waits for its confirmation.
    """

    # SET_NULL and a copy of the number: the request outlives even a later hard delete.
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_number = models.CharField(max_length=20)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=ErasureStatus.choices, default=ErasureStatus.IN_PROGRESS
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "-requested_at"], name="erasure_queue")]
        constraints = [
            # One erasure per customer: a second request is refused, never a second erasure.
            models.UniqueConstraint(fields=["customer"], name="one_erasure_per_customer")
        ]

    def __str__(self) -> str:
        return f"erasure of {self.customer_number} ({self.get_status_display()})"


class ErasureStepStatus(models.TextChoices):
    DONE = "done", pgettext_lazy("privacy", "Erased")
    WAITING = "waiting", pgettext_lazy("privacy", "Waiting for the system to confirm")


class ErasureStep(LazyChoiceLabels):
    """One system's part of an erasure: Frontline itself, or a source that knows the customer."""

    request = models.ForeignKey(ErasureRequest, on_delete=models.CASCADE, related_name="steps")
    # A customers.Source value: "frontline", "crm", "ecommerce"...
    system = models.CharField(max_length=12)
    external_ids = models.JSONField(default=list, help_text="The customer's records there")
    status = models.CharField(max_length=10, choices=ErasureStepStatus.choices)
    detail = models.CharField(max_length=300, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who confirmed it in the back office; empty when sync saw the deletion.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "system"], name="one_step_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system}: {self.get_status_display()}"
