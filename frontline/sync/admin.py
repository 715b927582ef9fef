from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from frontline.sync import services
from frontline.sync.models import (
    Cursor,
    InventoryItem,
    OutboxMessage,
    QuarantinedRecord,
    Run,
    Source,
    UncertainMatch,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "record_source", "base_url", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(Cursor)
class CursorAdmin(admin.ModelAdmin):
    list_display = ["source", "entity", "value", "updated_at"]
    list_filter = ["source", "entity"]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source",
        "entity",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "pages",
        "created",
        "updated",
        "unchanged",
        "quarantined",
    ]
    list_filter = ["status", "source", "entity", "trigger"]
    readonly_fields = [field.name for field in Run._meta.fields]


@admin.register(QuarantinedRecord)
class QuarantinedRecordAdmin(admin.ModelAdmin):
    """Fix a record's payload here, then use the "Retry" action to land it."""

    list_display = [
        "id",
        "source",
        "entity",
        "external_id",
        "reason",
        "status",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "source", "entity"]
    search_fields = ["external_id", "reason"]
    readonly_fields = [
        "source",
        "entity",
        "run",
        "external_id",
        "reason",
        "attempts",
        "created_at",
        "resolved_at",
    ]
    actions = ["retry", "discard"]

    @admin.action(description="Retry the selected records")
    def retry(self, request: HttpRequest, queryset: QuerySet[QuarantinedRecord]) -> None:
        landed, failed = services.quarantine_retry(record_ids=queryset.values_list("pk", flat=True))
        level = messages.SUCCESS if not failed else messages.WARNING
        self.message_user(request, f"{landed} landed, {failed} still quarantined.", level)

    @admin.action(description="Discard the selected records")
    def discard(self, request: HttpRequest, queryset: QuerySet[QuarantinedRecord]) -> None:
        count = queryset.filter(status=QuarantinedRecord.Status.OPEN).update(
            status=QuarantinedRecord.Status.DISCARDED
        )
        self.message_user(request, f"{count} discarded.")


@admin.register(UncertainMatch)
class UncertainMatchAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "external_id",
        "customer",
        "candidate_ids",
        "reason",
        "status",
        "created_at",
    ]
    list_filter = ["status", "source"]
    raw_id_fields = ["customer"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "key", "source", "status", "attempts", "last_error", "remote_id", "created_at", "sent_at",
    ]  # fmt: skip
    list_filter = ["status", "source"]
    search_fields = ["key", "remote_id"]
    raw_id_fields = ["customer"]  # a million customers make no drop-down


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    """Written by the products sync; shown so that a quarantined stock level can be explained."""

    list_display = ["item_id", "sku", "source"]
    list_filter = ["source"]
    search_fields = ["item_id", "sku"]
