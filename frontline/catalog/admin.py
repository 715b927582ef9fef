from django.contrib import admin

from frontline.catalog.models import Brand, Product, StockLevel, Variant


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["style_code", "name", "brand", "category", "season", "is_active"]
    list_filter = ["category", "season", "brand", "is_active"]
    search_fields = ["=style_code", "name"]
    inlines = [VariantInline]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["variant", "store", "on_hand", "reserved", "synced_at"]
    list_filter = ["store"]
    search_fields = ["=variant__sku"]
    raw_id_fields = ["variant"]
    show_full_result_count = False
