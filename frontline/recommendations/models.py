"""Item-to-item similarities learnt from order history, recomputed nightly."""

from __future__ import annotations

from django.db import models


class ProductSimilarity(models.Model):
    """``similar`` is often bought by the customers who bought ``product``."""

    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    similar = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text="Shrunk cosine similarity, 0..1")
    co_buyers = models.PositiveIntegerField(help_text="Customers who bought both")
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
    """How many customers bought the product: the fallback ranking and the baseline."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    buyers = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "product popularity"
        indexes = [models.Index(fields=["-buyers"], name="popular_products")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.buyers} buyers"
