from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from frontline.staff.models import Store, StoreAssignment, User


class StoreAssignmentInline(admin.TabularInline):
    model = StoreAssignment
    extra = 0
    autocomplete_fields = ["store"]


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StoreAssignmentInline]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "city", "time_zone", "is_active"]
    list_filter = ["kind", "is_active", "country"]
    search_fields = ["code", "name", "city", "postcode"]
