"""The audit trail of who read or changed whose personal data.

Rows are only ever added: nothing in Frontline updates or deletes them, and they never move
when customers are merged (the trail says what was looked at, as it was). On PostgreSQL a
trigger refuses any other change (migration 0003): the only update let through is the
``SET NULL`` of a staff member or customer row that is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    PROFILE_VIEWED = "profile_viewed", "Viewed the profile"
    PROFILE_READ_API = "profile_read_api", "Read the profile through the API"
    LISTED = "listed", "Saw name and contact details in a list of customers"
    TIMELINE_READ = "timeline_read", "Read the timeline"
    PROFILE_CREATED = "profile_created", "Created the profile"
    PROFILE_EDITED = "profile_edited", "Edited the profile"
    CUSTOMERS_MERGED = "customers_merged", "Merged two customers"
    MERGE_UNDONE = "merge_undone", "Undid a merge"
    SEARCHED = "searched", "Searched customers (the query, masked)"
    EXPORTED = "exported", "Exported all the customer's data"
    ERASED = "erased", "Erased the customer's personal data"
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"
    ACCESS_DENIED = "access_denied", "Was refused a personal-data page (403/404)"


class PersonalDataAccess(models.Model):
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
