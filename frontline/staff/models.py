"""Stores, staff members and the role each has at each store."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import pgettext_lazy
from timezone_field import TimeZoneField

from frontline.core.choices import LazyChoiceLabels


class User(AbstractUser):
    """A member of staff. Customers never log in; they are not users."""

    class Meta:
        db_table = "staff_user"


class Store(LazyChoiceLabels):
    class Kind(models.TextChoices):
        STORE = "store", pgettext_lazy("staff", "Store")
        WAREHOUSE = "warehouse", pgettext_lazy("staff", "Warehouse / online")

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.STORE)
    address = models.CharField(max_length=250, blank=True)
    city = models.CharField(max_length=80, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166-1 alpha-2")
    time_zone = TimeZoneField(default="Europe/London")
    # The language of the staff pages for the people working here (settings.LANGUAGES).
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    is_active = models.BooleanField(default=True)
    default_hold_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=(
            "How long an item is kept aside for a customer unless the associate says otherwise."
        ),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="store_latitude_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="store_longitude_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffRole(models.TextChoices):
    ASSOCIATE = "associate", pgettext_lazy("staff", "Associate")
    STYLIST = "stylist", pgettext_lazy("staff", "Stylist")
    MANAGER = "manager", pgettext_lazy("staff", "Store manager")


class StoreAssignment(LazyChoiceLabels):
    """A staff member works at a store in a role; one role per store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(max_length=12, choices=StaffRole.choices)
    is_primary = models.BooleanField(
        default=False, help_text="The store the staff member's app opens on."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="one_role_per_store"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_primary=True),
                name="one_primary_store_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.store.code}"
