"""Products, their sellable variants, and stock per store."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from frontline.core.choices import LazyChoiceLabels


class Brand(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(LazyChoiceLabels):
    class Category(models.TextChoices):
        TOPS = "tops", pgettext_lazy("catalog", "Tops")
        BOTTOMS = "bottoms", pgettext_lazy("catalog", "Bottoms")
        DRESSES = "dresses", pgettext_lazy("catalog", "Dresses")
        OUTERWEAR = "outerwear", pgettext_lazy("catalog", "Outerwear")
        SHOES = "shoes", pgettext_lazy("catalog", "Shoes")
        ACCESSORIES = "accessories", pgettext_lazy("catalog", "Accessories")

    class Season(models.TextChoices):
        ALL_YEAR = "all", pgettext_lazy("catalog", "All year")
        SPRING_SUMMER = "ss", pgettext_lazy("catalog", "Spring/summer")
        AUTUMN_WINTER = "aw", pgettext_lazy("catalog", "Autumn/winter")

    style_code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    category = models.CharField(max_length=12, choices=Category.choices)
    style = models.CharField(max_length=40, blank=True, help_text="e.g. classic, sporty, minimal")
    season = models.CharField(max_length=3, choices=Season.choices, default=Season.ALL_YEAR)
    description = models.TextField(blank=True)
    launched_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Data quality: the source sent the product without a name, so its style code stands in
    # for one (the product lands, its order lines point at it, and someone can fix the name).
    name_is_code = models.BooleanField(
        db_default=False, help_text="The source sent no name: the style code stands in for it."
    )

    class Meta:
        indexes = [models.Index(fields=["brand", "category"], name="product_brand_category")]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=40, unique=True)
    barcode = models.CharField(max_length=32, unique=True, null=True, blank=True)
    size = models.CharField(max_length=10)
    colour = models.CharField(max_length=40)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="GBP")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "size", "colour"], name="variant_size_colour_once"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.colour} {self.size}"


class StockLevel(models.Model):
    """How many units of a variant a store holds, and how many are promised (held)."""

    store = models.ForeignKey("staff.Store", on_delete=models.CASCADE, related_name="stock")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True, help_text="As of the last sync")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "store"], name="one_stock_row_per_store"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="on_hand_not_negative"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0), name="reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")),
                name="reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id} at {self.store_id}: {self.on_hand} on hand, {self.reserved} held"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Hold(LazyChoiceLabels):
    """Units of a variant kept aside at a store for a customer until a deadline.

    While a hold is active its quantity is counted in ``StockLevel.reserved`` of the same store
    and variant; every service that changes ``status`` changes ``reserved`` in the same
    transaction, so the two never disagree.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("catalog", "Active")
        COMPLETED = "completed", pgettext_lazy("catalog", "Sold")
        CANCELLED = "cancelled", pgettext_lazy("catalog", "Cancelled")
        EXPIRED = "expired", pgettext_lazy("catalog", "Expired")

    class Basis(models.TextChoices):
        LIVE = "live", pgettext_lazy("catalog", "Confirmed live with the ERP")
        SYNCED = "synced", pgettext_lazy("catalog", "Synced stock figure")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="holds"
    )
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="holds")
    store = models.ForeignKey(
        "staff.Store",
        on_delete=models.PROTECT,
        related_name="holds",
        help_text="Where the item is kept",
    )
    requested_from = models.ForeignKey(
        "staff.Store",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holds_requested",
        help_text="The associate's store when the item is kept in another store",
    )
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField()
    pickup_note = models.CharField(max_length=300, blank=True)
    basis = models.CharField(max_length=6, choices=Basis.choices, default=Basis.SYNCED)
    basis_as_of = models.DateTimeField(
        null=True, blank=True, help_text="When the stock figure the hold relied on was true"
    )
    basis_detail = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            # The store's holds list and the expiry sweep read active holds only.
            models.Index(
                fields=["store", "expires_at"],
                condition=models.Q(status="active"),
                name="hold_active_by_store",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="active"),
                name="hold_active_expiry",
            ),
            models.Index(fields=["customer", "-created_at"], name="hold_by_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="hold_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(closed_at__isnull=False),
                name="closed_hold_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"Hold {self.pk}: {self.quantity} x {self.variant_id} at {self.store_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class HoldRequest(LazyChoiceLabels):
    """A request to another store to put aside the item of a hold placed from elsewhere."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("catalog", "Waiting for the store")
        ACCEPTED = "accepted", pgettext_lazy("catalog", "Put aside")
        DECLINED = "declined", pgettext_lazy("catalog", "Declined")

    hold = models.OneToOneField(Hold, on_delete=models.CASCADE, related_name="request")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Request for hold {self.hold_id}: {self.status}"


class BackInStockWatch(LazyChoiceLabels):
    """A customer waits for a product in a size; sync's stock arrival tells their associate."""

    class Source(models.TextChoices):
        ASSOCIATE = "associate", pgettext_lazy("catalog", "Added by an associate")
        WISHLIST = "wishlist", pgettext_lazy("catalog", "From the wishlist")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="stock_watches"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="watches")
    size = models.CharField(max_length=10)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_watches",
        help_text="The associate told when it arrives",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ASSOCIATE)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_store = models.ForeignKey(
        "staff.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["product", "size"],
                condition=models.Q(notified_at__isnull=True),
                name="watch_waiting",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "size"],
                condition=models.Q(notified_at__isnull=True),
                name="one_waiting_watch_per_size",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} waits for {self.product_id} in {self.size}"
