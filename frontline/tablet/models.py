"""A store's tablet policy, staff PINs, and the first answer to each idempotent request."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

DEFAULT_LOCK_AFTER_MINUTES = 5


class TabletPolicy(models.Model):
    """How a store's shared tablets behave; a store without a row gets the defaults."""

    store = models.OneToOneField(
        "staff.Store", on_delete=models.CASCADE, related_name="tablet_policy"
    )
    lock_after_minutes = models.PositiveSmallIntegerField(
        default=DEFAULT_LOCK_AFTER_MINUTES,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Lock the tablet after this many minutes without a touch; 0 never locks it.",
    )

    class Meta:
        verbose_name_plural = "tablet policies"

    def __str__(self) -> str:
        return f"Tablets at {self.store_id}: lock after {self.lock_after_minutes} min"


class StaffPin(models.Model):
    """A staff member's PIN for switching to themselves on a locked tablet, hashed like a
    password (Django's hasher): the table never holds the digits."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tablet_pin"
    )
    pin_hash = models.CharField(max_length=128)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"PIN of {self.staff_id}"


class IdempotentRequest(models.Model):
    """One Idempotency-Key of one staff member: the request it first came with, and the answer
    given then, which every replay of that key gets again.

    ``status_code`` is null while the first request is still running. Rows are kept for a day
    (IDEMPOTENCY_KEY_HOURS): an offline tablet sends its queue long before that.
    """

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "key"], name="one_answer_per_staff_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.key} → {self.status_code}"
