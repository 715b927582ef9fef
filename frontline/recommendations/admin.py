from django.contrib import admin

from frontline.recommendations.models import ProductPopularity, ProductSimilarity, StoreBestSeller


@admin.register(ProductSimilarity)
class ProductSimilarityAdmin(admin.ModelAdmin):
    list_display = ["product", "similar", "score", "computed_at"]
    raw_id_fields = ["product", "similar"]
    show_full_result_count = False


@admin.register(ProductPopularity)
class ProductPopularityAdmin(admin.ModelAdmin):
    list_display = ["product", "buyers", "score", "computed_at"]
    raw_id_fields = ["product"]


@admin.register(StoreBestSeller)
class StoreBestSellerAdmin(admin.ModelAdmin):
    list_display = ["store", "product", "score", "computed_at"]
    list_filter = ["store"]
    raw_id_fields = ["product"]
