from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from frontline.privacy.models import PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence: shown and filtered, never added, changed or deleted in the back office."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    """The audit trail: who did what to whose data, when and from where.

    Filter by action and date; search by staff username, customer number or address. Details
    hold masked searches and names of what changed, never personal data in the clear.
    """

    list_display = ["accessed_at", "staff", "action", "customer", "detail", "ip_address"]
    list_filter = ["action", "accessed_at"]
    search_fields = ["=staff__username", "=customer__number", "=ip_address", "detail"]
    list_select_related = ["staff", "customer"]
    raw_id_fields = ["staff", "customer"]
    show_full_result_count = False
    date_hierarchy = "accessed_at"
