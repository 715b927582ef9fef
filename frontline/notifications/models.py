"""Notifications: what happened (one row per event) and who it was for (one row per recipient).

The split follows Zulip's Message / UserMessage: the event's id is global and only ever grows,
so it is the cursor every client keeps ("the highest id I have processed") and the one thing a
catch-up asks about, whether the event went to one person or to a whole store. What is personal,
whether it was read, lives on the recipient row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    """Something a staff member should hear about: the content every recipient sees."""

    kind = models.CharField(max_length=64, help_text="A kind from notifications.kinds.")
    title = models.CharField(max_length=140)
    body = models.CharField(max_length=500, blank=True)
    link = models.CharField(
        max_length=500, blank=True, help_text="A path inside the app the notification opens."
    )
    store = models.ForeignKey(
        "staff.Store",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The store the event happened at, when there is one.",
    )
    dedupe_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Raising the same kind with the same key again does nothing (retried tasks).",
    )
    # The customer the notification is about, when it names one ("Ada Lovelace checked in"):
    # their erasure finds the notifications to scrub by it (notifications.personal_data).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer the notification names, if any.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_dedupe_key_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class NotificationRecipient(models.Model):
    """One staff member's copy of a notification: theirs to read."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="recipients"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "notification"], name="notification_once_per_recipient"
            ),
        ]
        indexes = [
            # The unread badge counts these on every page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification} → {self.recipient}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription: one per staff device that opted in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200, help_text="The browser's public key (base64url).")
    auth = models.CharField(max_length=60, help_text="The browser's auth secret (base64url).")
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_delivered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"push subscription of {self.user} ({self.endpoint[:40]}…)"
