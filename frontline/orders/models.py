"""Orders placed online and in store, with their lines and returns.

Money is signed, as the sources' books keep it. A sale has a total of zero or more and lines of
positive quantities; a return document (a credit note, a cancellation invoice, a refund receipt)
is a document of its own with a total of zero or less and lines of negative quantities, linked
to the sale it returns when the source says which one. So the sum of a customer's documents is
what they spent net of credit notes, with no sign to remember per kind. Units returned against
a sale line without a document of their own (a shop's refund of that line) are the line's
``returned_quantity``; ``net_value_of_returns_sql`` and the customers' figures subtract them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels
from frontline.customers.models import Source


class OrderQuerySet(models.QuerySet["Order"]):
    def kept(self) -> OrderQuerySet:
        """Orders the source has not deleted: the ones every figure, rule and suggestion counts."""
        return self.filter(deleted_at__isnull=True)


class Order(LazyChoiceLabels):
    class Channel(models.TextChoices):
        STORE = "store", pgettext_lazy("order", "In store")
        ONLINE = "online", pgettext_lazy("order", "Online")

    class Kind(models.TextChoices):
        SALE = "sale", pgettext_lazy("order", "Sale")
        RETURN = "return", pgettext_lazy("order", "Return")

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
    # A database default: bulk loaders that COPY orders (the demo) need not name it.
    kind = models.CharField(max_length=6, choices=Kind.choices, db_default=Kind.SALE)
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="returns",
        # Indexed below where set: most orders are sales, whose index entries would be NULLs.
        db_index=False,
        help_text="For a return: the sale it returns, when the source says which one.",
    )
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
    # Set when the source deleted the order: kept for the record, left out of the customer's
    # figures and order history (orders.loading.orders_mark_deleted).
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-placed_at", "-id"], name="order_history"),
            models.Index(
                fields=["original"],
                condition=models.Q(original__isnull=False),
                name="order_returns_of_sale",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="order_per_source"),
            # A sale never takes money back and a return never charges: the sign of the total
            # is the kind's.
            models.CheckConstraint(
                condition=models.Q(kind="sale", total__gte=0)
                | models.Q(kind="return", total__lte=0),
                name="order_total_signed_by_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(original__isnull=True) | models.Q(kind="return"),
                name="only_returns_have_an_original",
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
    # Negative on a return document (see the module's docstring).
    quantity = models.IntegerField()
    # Unit prices keep the source's precision (wholesale prices of 0.001 exist); totals are
    # in the currency's minor unit.
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    returned_quantity = models.PositiveIntegerField(default=0)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The customers' figures subtract units returned against sold lines: few lines
            # have any, and this keeps finding them from reading every line.
            models.Index(
                fields=["order"],
                condition=models.Q(returned_quantity__gt=0),
                name="orderline_with_returns",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(quantity=0), name="line_quantity_not_zero"),
            # Units are returned against a sold line; a returned line is returned already.
            models.CheckConstraint(
                condition=models.Q(returned_quantity=0)
                | models.Q(quantity__gt=0, returned_quantity__lte=models.F("quantity")),
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
