from django.contrib import admin

from frontline.catalog.models import (
    BackInStockWatch,
    Brand,
    Hold,
    HoldRequest,
    Product,
    StockLevel,
    Variant,
)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "style_code",
        "name",
        "name_is_code",
        "brand",
        "category",
        "season",
        "is_active",
    ]
    list_filter = ["name_is_code", "category", "season", "brand", "is_active"]
    search_fields = ["=style_code", "name"]
    inlines = [VariantInline]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["variant", "store", "on_hand", "reserved", "synced_at"]
    list_filter = ["store"]
    search_fields = ["=variant__sku"]
    raw_id_fields = ["variant"]
    show_full_result_count = False


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "variant", "store", "quantity", "status", "expires_at"]
    list_filter = ["status", "store", "basis"]
    search_fields = ["=variant__sku", "=customer__number"]
    raw_id_fields = ["customer", "variant", "order"]
    # Status and quantities change only through the services, which keep StockLevel.reserved
    # in step; the back office may read them but not edit them.
    readonly_fields = ["status", "quantity", "variant", "store", "closed_at", "closed_by", "order"]


@admin.register(HoldRequest)
class HoldRequestAdmin(admin.ModelAdmin):
    list_display = ["hold", "status", "decided_by", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["hold"]
    readonly_fields = ["status", "decided_by", "decided_at"]


@admin.register(BackInStockWatch)
class BackInStockWatchAdmin(admin.ModelAdmin):
    list_display = ["customer", "product", "size", "owner", "source", "notified_at"]
    list_filter = ["source"]
    raw_id_fields = ["customer", "product", "owner"]
