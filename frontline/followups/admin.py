from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from frontline.followups.models import BulkAssignment, FollowUp, FollowUpEvent


class FollowUpEventInline(admin.TabularInline):
    """The history is append-only: shown, never edited here."""

    model = FollowUpEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "by", "at", "data"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["customer", "store", "assignee", "due_on", "reason", "status", "outcome"]
    list_filter = ["status", "reason", "outcome", "store"]
    search_fields = ["customer__number", "customer__last_name", "assignee__username"]
    raw_id_fields = ["customer", "assignee", "created_by", "bulk_assignment"]
    readonly_fields = ["source_key", "completed_at", "days_late", "created_at", "updated_at"]
    inlines = [FollowUpEventInline]


@admin.register(BulkAssignment)
class BulkAssignmentAdmin(admin.ModelAdmin):
    list_display = ["pk", "store", "created_by", "created_count", "created_at", "undone_at"]
    readonly_fields = ["criteria", "created_count", "created_at", "undone_at", "undone_by"]
