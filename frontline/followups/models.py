"""Follow-ups: a promise to get back to a customer by a day, and everything that happened to it.

A follow-up is due on a *date* in its store's time zone (an associate thinks "call her on
Thursday", not "at 14:00 UTC"), so "today" and "overdue" are always worked out with the store's
zone. Its history is append-only: services add one ``FollowUpEvent`` per change and never edit
or delete one, so the team board's figures and any dispute can be traced back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class Reason(models.TextChoices):
    THANK_YOU = "thank_you", pgettext_lazy("follow-up", "Thank you")
    NEW_ARRIVALS = "new_arrivals", pgettext_lazy("follow-up", "New arrivals")
    EVENT_INVITE = "event_invite", pgettext_lazy("follow-up", "Event invitation")
    SERVICE_RECOVERY = "service_recovery", pgettext_lazy("follow-up", "Service recovery")
    OCCASION = "occasion", pgettext_lazy("follow-up", "Birthday or anniversary")
    CHECK_IN = "check_in", pgettext_lazy("follow-up", "Check in")
    BACK_IN_STOCK = "back_in_stock", pgettext_lazy("follow-up", "Back in stock")
    HOLD = "hold", pgettext_lazy("follow-up", "Item on hold")
    OTHER = "other", pgettext_lazy("follow-up", "Other (free text)")


class Priority(models.IntegerChoices):
    # Lower sorts first: the list of the day starts with what matters most.
    HIGH = 1, pgettext_lazy("follow-up", "High")
    NORMAL = 2, pgettext_lazy("follow-up", "Normal")
    LOW = 3, pgettext_lazy("follow-up", "Low")


class Status(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up", "Open")
    SNOOZED = "snoozed", pgettext_lazy("follow-up", "Snoozed")
    DONE = "done", pgettext_lazy("follow-up", "Done")
    CANCELLED = "cancelled", pgettext_lazy("follow-up", "Cancelled")


# Follow-ups still to be worked: snoozed ones are open ones with a later day.
ACTIVE_STATUSES = (Status.OPEN, Status.SNOOZED)


class Outcome(models.TextChoices):
    REACHED = "reached", pgettext_lazy("follow-up", "Reached")
    LEFT_MESSAGE = "left_message", pgettext_lazy("follow-up", "Left a message")
    NO_ANSWER = "no_answer", pgettext_lazy("follow-up", "No answer")
    APPOINTMENT_BOOKED = "appointment_booked", pgettext_lazy("follow-up", "Appointment booked")
    PURCHASE = "purchase", pgettext_lazy("follow-up", "Purchase")
    NOT_INTERESTED = "not_interested", pgettext_lazy("follow-up", "Not interested")
    WRONG_CONTACT = "wrong_contact", pgettext_lazy("follow-up", "Wrong contact details")


# Outcomes in which the customer was actually spoken to: "reached" on the team board.
REACHED_OUTCOMES = (
    Outcome.REACHED,
    Outcome.APPOINTMENT_BOOKED,
    Outcome.PURCHASE,
    Outcome.NOT_INTERESTED,
)


class BulkAssignment(LazyChoiceLabels):
    """One bulk assignment from a customer filter: what was asked, so it can be undone at once."""

    store = models.ForeignKey("staff.Store", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    criteria = models.JSONField(default=dict)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_text = models.CharField(max_length=200, blank=True)
    due_on = models.DateField()
    created_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"bulk assignment {self.pk} ({self.created_count} follow-ups)"


class FollowUp(LazyChoiceLabels):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="followups"
    )
    store = models.ForeignKey("staff.Store", on_delete=models.PROTECT, related_name="followups")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when a rule created it",
    )
    due_on = models.DateField(help_text="The day it is due, in the store's time zone")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_text = models.CharField(
        max_length=200, blank=True, help_text="Free text, or detail for the template"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    snooze_reason = models.CharField(max_length=200, blank=True)
    # What created it automatically (a rule's event, an accepted action): at most one follow-up
    # per such key, which is what makes the rules and the accept handler safe to run twice.
    source_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    bulk_assignment = models.ForeignKey(
        BulkAssignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    # The due date each reminder was sent for: a snoozed follow-up is reminded again for its
    # new date, and the beat task never reminds twice for the same one.
    due_soon_notified_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The store-local day it was done: the team board's weeks and windows are store days.
    completed_on = models.DateField(null=True, blank=True)
    # The customer bought within 14 days of its completion: marked set-wise by the beat task
    # (frontline.followups.automation.followups_mark_purchases), read by the team board.
    purchased_after = models.BooleanField(default=False)
    # Whole days between the due date and the store-local day it was done (0 when on time):
    # written once at completion, so the team board averages it without date arithmetic in SQL.
    days_late = models.PositiveSmallIntegerField(null=True, blank=True)
    # A default rather than auto_now_add: the demo's history gives its own planning moments.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # "My day" reads an associate's active follow-ups in due order, a page at a time:
            # with both active statuses in one partial index the scan comes out in that order
            # and stops after a page (over (assignee, status, due_on) two statuses made
            # PostgreSQL sort every overdue row, or scan the table).
            models.Index(
                fields=["assignee", "due_on", "priority", "id"],
                include=["store"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="followup_assignee_active",
            ),
            models.Index(fields=["store", "status", "due_on"], name="followup_store_day"),
            models.Index(fields=["customer", "status"], name="followup_customer"),
            models.Index(fields=["store", "completed_at"], name="followup_store_done"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(outcome=""),
                name="followup_done_has_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason="other") | ~models.Q(reason_text=""),
                name="followup_other_reason_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} for customer {self.customer_id} on {self.due_on}"

    @property
    def title(self) -> str:
        """The reason as people read it: the template's name, with its detail if any."""
        if self.reason == Reason.OTHER:
            return self.reason_text
        label = str(self.get_reason_display())
        return f"{label}: {self.reason_text}" if self.reason_text else label

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("follow-up", "Created")
    REASSIGNED = "reassigned", pgettext_lazy("follow-up", "Reassigned")
    SNOOZED = "snoozed", pgettext_lazy("follow-up", "Snoozed")
    COMPLETED = "completed", pgettext_lazy("follow-up", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("follow-up", "Cancelled")


class FollowUpEvent(LazyChoiceLabels):
    """One change to a follow-up: who, what, when. Append-only."""

    followup = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, help_text="What changed: before and after values")

    class Meta:
        indexes = [models.Index(fields=["followup", "at"], name="followup_event_order")]

    def __str__(self) -> str:
        return f"{self.kind} of follow-up {self.followup_id} at {self.at:%Y-%m-%d %H:%M}"


class FollowUpTally(LazyChoiceLabels):
    """Counts of one store's follow-ups per person, kept by PostgreSQL triggers.

    Open and snoozed follow-ups are counted per due day; done ones per completion day, whether
    the customer was reached and whether a purchase followed; cancelled ones not at all. The
    team board sums a few thousand of these rows instead of counting hundreds of thousands of
    follow-ups. Written
    only by the triggers of migration 0004 (statement-level, like the sentiment rollup), so
    on SQLite the board counts the follow-ups themselves (frontline.followups.selectors).
    """

    store = models.ForeignKey(
        "staff.Store", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    # 1970-01-01 when the figure does not depend on it (a unique key cannot hold NULLs alike).
    due_on = models.DateField()
    completed_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices)
    # Done with one of REACHED_OUTCOMES: the board needs no finer outcome, and a coarser key
    # keeps the tally small.
    reached = models.BooleanField()
    purchased_after = models.BooleanField()
    count = models.IntegerField(default=0)
    days_late_sum = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "store",
                    "assignee",
                    "due_on",
                    "completed_on",
                    "status",
                    "reached",
                    "purchased_after",
                ],
                name="one_tally_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.status} for {self.assignee_id} at {self.store_id}"
