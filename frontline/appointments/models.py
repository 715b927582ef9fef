"""Styling sessions customers book on ``/book/``, and the stylists' availability behind them.

Times of bookings are stored in UTC; a stylist's weekly hours are wall-clock times in the time
zone of the stylist's store, turned into instants only by ``frontline.appointments.availability``.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels

WEEKDAYS = [
    (0, pgettext_lazy("weekday", "Monday")),
    (1, pgettext_lazy("weekday", "Tuesday")),
    (2, pgettext_lazy("weekday", "Wednesday")),
    (3, pgettext_lazy("weekday", "Thursday")),
    (4, pgettext_lazy("weekday", "Friday")),
    (5, pgettext_lazy("weekday", "Saturday")),
    (6, pgettext_lazy("weekday", "Sunday")),
]


def new_booking_token() -> str:
    """32 random bytes, URL-safe: the customer's only key to their booking."""
    return secrets.token_urlsafe(32)


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@frontline"


class Service(LazyChoiceLabels):
    class Kind(models.TextChoices):
        VIDEO = "video", pgettext_lazy("styling session", "Virtual styling by video")
        IN_STORE = "in_store", pgettext_lazy("styling session", "Styling in store")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(max_length=300, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(10), MaxValueValidator(8 * 60)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stylist(models.Model):
    """A staff member customers can book, at one store, with the rules of their diary."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stylist"
    )
    store = models.ForeignKey("staff.Store", on_delete=models.CASCADE, related_name="stylists")
    is_bookable = models.BooleanField(default=True)
    bio = models.CharField(max_length=300, blank=True)
    buffer_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(240)],
        help_text="Kept free after every session, to write notes and get ready for the next.",
    )
    minimum_notice_minutes = models.PositiveIntegerField(
        default=120, help_text="How long before a session it can still be booked."
    )
    horizon_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="How many days ahead sessions can be booked.",
    )
    slot_interval_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Sessions start on this grid from the start of each working period.",
    )
    services = models.ManyToManyField(Service, related_name="stylists", blank=True)
    external_meeting_url = models.URLField(
        max_length=500,
        blank=True,
        help_text=(
            "A video meeting link of the stylist's own (Teams, Zoom, Meet): offered to customers"
            " instead of the built-in video room when the browser call cannot work."
        ),
    )

    class Meta:
        ordering = ["store", "user__first_name", "user__last_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class WorkingHours(LazyChoiceLabels):
    """A period of work on a weekday, in the store's time zone; several per day are allowed."""

    stylist = models.ForeignKey(Stylist, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        verbose_name_plural = "working hours"
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="working_hours_start_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Break(LazyChoiceLabels):
    """A weekly break (lunch, say) inside the working hours, in the store's time zone."""

    stylist = models.ForeignKey(Stylist, on_delete=models.CASCADE, related_name="breaks")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__lt=models.F("ends")), name="break_start_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class DateOverride(models.Model):
    """Different hours on one date: they replace that day's weekly hours and breaks.

    A date whose overrides have no times is a day off. Several rows give several periods.
    """

    stylist = models.ForeignKey(Stylist, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts__isnull=True, ends__isnull=True)
                | models.Q(starts__lt=models.F("ends")),
                name="date_override_start_first",
            )
        ]

    def __str__(self) -> str:
        if self.starts is None or self.ends is None:
            return f"{self.date}: off"
        return f"{self.date} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(models.Model):
    """Absence between two instants (holiday, training), whatever the working hours say."""

    stylist = models.ForeignKey(Stylist, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name_plural = "time off"
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")),
                name="time_off_start_first",
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


class StoreMeetingRoom(models.Model):
    """A store's own external video meeting link, for its stylists who have none of their own."""

    store = models.OneToOneField(
        "staff.Store", on_delete=models.CASCADE, related_name="meeting_room"
    )
    external_meeting_url = models.URLField(max_length=500)

    def __str__(self) -> str:
        return f"Meeting room of {self.store}"


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", pgettext_lazy("styling session", "Confirmed")
    CANCELLED = "cancelled", pgettext_lazy("styling session", "Cancelled")
    COMPLETED = "completed", pgettext_lazy("styling session", "Completed")
    NO_SHOW = "no_show", pgettext_lazy("styling session", "No show")


class SessionOutcome(models.TextChoices):
    """What came of a session, as the stylist records it afterwards."""

    PURCHASED = "purchased", pgettext_lazy("styling session", "Bought during the session")
    HELD = "held", pgettext_lazy("styling session", "Items held to try or collect")
    FOLLOW_UP = "follow_up", pgettext_lazy("styling session", "Interested: following up")
    NO_PURCHASE = "no_purchase", pgettext_lazy("styling session", "No purchase")
    NO_SHOW = "no_show", pgettext_lazy("styling session", "The customer did not come")


class Booking(LazyChoiceLabels):
    """A session booked by a customer with a stylist.

    ``blocks_until`` is the end plus the stylist's buffer: the span no other session of the
    stylist may overlap. On PostgreSQL an exclusion constraint on ``[starts_at, blocks_until)``
    per stylist makes a double booking impossible whatever the application does (migration
    0002); on SQLite every write transaction holds the database's write lock from its start
    (``transaction_mode = IMMEDIATE``), so the service's check-then-insert cannot interleave.
    """

    token = models.CharField(max_length=64, unique=True, default=new_booking_token, editable=False)
    # A customer erased from Frontline takes their bookings with them; a merge moves them to
    # the surviving record (customers.merging follows every foreign key to a customer).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="bookings"
    )
    stylist = models.ForeignKey(Stylist, on_delete=models.PROTECT, related_name="bookings")
    store = models.ForeignKey("staff.Store", on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocks_until = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    # What the customer typed, as typed: the customer record may say otherwise (see services).
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True)
    customer_time_zone = models.CharField(max_length=64)
    occasion = models.CharField(max_length=120, blank=True)
    sizes = models.CharField(max_length=200, blank=True)
    budget = models.CharField(max_length=60, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    ical_uid = models.CharField(max_length=120, unique=True, default=new_ical_uid, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: raised on every reschedule and cancellation."
    )
    # When the current time was chosen: reminders whose moment had already passed then are not
    # sent (a session booked two hours ahead gets no "tomorrow" reminder).
    scheduled_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The customer's one-tap answer to "how was your session?", 1 (poor) to 5 (excellent).
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    # This session's external video link, set by the stylist when the browser call cannot work
    # (empty: the stylist's, then the store's, if any; see ``selectors.external_meeting_url``).
    external_meeting_url = models.URLField(max_length=500, blank=True)
    # When the stylist showed the lookbook to the customer (their pages show it from then on).
    lookbook_shared_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=SessionOutcome.choices, blank=True)
    outcome_notes = models.TextField(max_length=2000, blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["stylist", "starts_at"], name="booking_stylist_diary"),
            models.Index(fields=["store", "starts_at"], name="booking_store_diary"),
            models.Index(fields=["status", "starts_at"], name="booking_upcoming"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at"))
                & models.Q(ends_at__lte=models.F("blocks_until")),
                name="booking_times_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="booking_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} with {self.stylist} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_active(self) -> bool:
        return self.status == BookingStatus.CONFIRMED


class BookingEmail(LazyChoiceLabels):
    """One e-mail to the customer about one version of a booking: the claim that makes sending
    idempotent. A row is created before sending and marked sent after; a task that finds it
    marked does nothing."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", pgettext_lazy("styling session", "Confirmation")
        RESCHEDULED = "rescheduled", pgettext_lazy("styling session", "Rescheduled")
        CANCELLATION = "cancellation", pgettext_lazy("styling session", "Cancellation")
        REMINDER_DAY = "reminder_24h", pgettext_lazy("styling session", "Reminder a day before")
        REMINDER_HOUR = "reminder_1h", pgettext_lazy("styling session", "Reminder an hour before")
        FEEDBACK = "feedback", pgettext_lazy("styling session", "How was it? (after the session)")
        LOOKBOOK = "lookbook", pgettext_lazy("styling session", "The stylist's lookbook is ready")
        UPDATED = (
            "updated",
            pgettext_lazy("styling session", "Session details changed (its video link)"),
        )

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    sequence = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "kind", "sequence"], name="one_email_per_booking_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of booking {self.booking_id}"


class LookbookItem(models.Model):
    """A product the stylist picked for a session, in a size and colour in stock, with why.

    Items are shown in ``position`` order; ``hold`` is the hold placed from the lookbook, if any.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lookbook_items")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    hold = models.ForeignKey(
        "catalog.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "variant"], name="lookbook_variant_once")
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} in the lookbook of booking {self.booking_id}"
