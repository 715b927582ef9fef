"""Orders placed online and in store, with their lines and returns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from frontline.customers.models import Source


class Order(models.Model):
    class Channel(models.TextChoices):
        STORE = "store", "In store"
        ONLINE = "online", "Online"

    number = models.CharField(max_length=30, unique=True)
    # Indexed by order_history, which starts with the customer.
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        db_index=False,
    )
    channel = models.CharField(max_length=6, choices=Channel.choices)
    store = models.ForeignKey(
        "staff.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    associate = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3, default="GBP")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    source = models.CharField(max_length=12, choices=Source.choices)
    external_id = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["customer", "-placed_at", "-id"], name="order_history")]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="order_per_source"),
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(channel="online") | models.Q(store__isnull=False),
                name="store_order_has_a_store",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sku = models.CharField(max_length=40, help_text="As sold, kept if the variant is deleted")
    description = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    returned_quantity = models.PositiveIntegerField(default=0)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(returned_quantity__lte=models.F("quantity")),
                name="returned_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="unit_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity
