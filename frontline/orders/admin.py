from django.contrib import admin

from frontline.orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["variant"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "customer", "channel", "store", "placed_at", "total"]
    list_filter = ["kind", "channel", "store", "source"]
    search_fields = ["=number"]
    raw_id_fields = ["customer", "associate", "original"]
    date_hierarchy = "placed_at"
    show_full_result_count = False
    inlines = [OrderLineInline]
