"""What the nightly job learns from order history: similar products and best sellers."""

from __future__ import annotations

from django.db import models


class ProductSimilarity(models.Model):
    """``similar`` is often bought by the customers who bought ``product``."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    similar = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Shrunk cosine similarity, 0..1")
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "product similarities"
        indexes = [models.Index(fields=["product", "-score"], name="similar_products")]
        constraints = [
            models.UniqueConstraint(fields=["product", "similar"], name="one_similarity_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(product=models.F("similar")), name="not_similar_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ~ {self.similar_id}: {self.score:.3f}"


class ProductPopularity(models.Model):
    """How much the product sells, recent purchases weighing more: ranking and cold start."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    buyers = models.PositiveIntegerField(help_text="Customers who bought it")
    score = models.FloatField(default=0.0, help_text="Recency-weighted buyers")
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "product popularity"
        indexes = [models.Index(fields=["-score"], name="popular_products_recent")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.buyers} buyers"


class StoreBestSeller(models.Model):
    """A store's best sellers (recency-weighted buyers), for customers with no history yet."""

    store = models.ForeignKey("staff.Store", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["store", "-score"], name="store_best_sellers")]
        constraints = [
            models.UniqueConstraint(fields=["store", "product"], name="one_best_seller_row"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.product_id} {self.score:.1f}"


class CustomerRecommendations(models.Model):
    """A customer's ranked list as the nightly job (or a refresh after a purchase) left it.

    The profile panel reads this one row instead of scoring the customer's history while the
    associate waits; stock is still checked when the list is shown. ``products`` holds, best
    first, ``[product id, score, bought with (product id or null), last bought (day since
    1970 or null)]``: the reason is told from the last two when the list is shown, in the
    reader's language and with the product's current name.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    products = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "customer recommendations"

    def __str__(self) -> str:
        return f"{self.customer_id}: {len(self.products)} products"
