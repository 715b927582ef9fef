from django.contrib import admin

from frontline.recommendations.models import ProductPopularity, ProductSimilarity


@admin.register(ProductSimilarity)
class ProductSimilarityAdmin(admin.ModelAdmin):
    list_display = ["product", "similar", "score", "co_buyers", "computed_at"]
    raw_id_fields = ["product", "similar"]
    show_full_result_count = False


@admin.register(ProductPopularity)
class ProductPopularityAdmin(admin.ModelAdmin):
    list_display = ["product", "buyers", "computed_at"]
    raw_id_fields = ["product"]
