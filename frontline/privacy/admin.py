from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from frontline.privacy.models import PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is evidence, nobody edits it."""

    list_display = ["accessed_at", "staff", "customer", "action", "detail"]
    list_filter = ["action"]
    raw_id_fields = ["staff", "customer"]
    show_full_result_count = False
    date_hierarchy = "accessed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
