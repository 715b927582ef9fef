"""Products, their sellable variants, and stock per store."""

from __future__ import annotations

from django.db import models


class Brand(models.Model):
    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Category(models.TextChoices):
        TOPS = "tops", "Tops"
        BOTTOMS = "bottoms", "Bottoms"
        DRESSES = "dresses", "Dresses"
        OUTERWEAR = "outerwear", "Outerwear"
        SHOES = "shoes", "Shoes"
        ACCESSORIES = "accessories", "Accessories"

    class Season(models.TextChoices):
        ALL_YEAR = "all", "All year"
        SPRING_SUMMER = "ss", "Spring/summer"
        AUTUMN_WINTER = "aw", "Autumn/winter"

    style_code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="products")
    category = models.CharField(max_length=12, choices=Category.choices)
    style = models.CharField(max_length=40, blank=True, help_text="e.g. classic, sporty, minimal")
    season = models.CharField(max_length=3, choices=Season.choices, default=Season.ALL_YEAR)
    description = models.TextField(blank=True)
    launched_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

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
