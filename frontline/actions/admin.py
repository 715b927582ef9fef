from django.contrib import admin

from frontline.actions.models import ActionBatchRun, ActionOutcome, ActionSuggestion


@admin.register(ActionSuggestion)
class ActionSuggestionAdmin(admin.ModelAdmin):
    list_display = ["customer", "rule", "score", "channel", "computed_at"]
    list_filter = ["rule", "channel"]
    raw_id_fields = ["customer"]
    show_full_result_count = False  # millions of rows: no COUNT(*) on every page


@admin.register(ActionOutcome)
class ActionOutcomeAdmin(admin.ModelAdmin):
    list_display = ["customer", "rule", "kind", "dismiss_reason", "staff", "store", "decided_at"]
    list_filter = ["kind", "rule", "dismiss_reason", "store"]
    raw_id_fields = ["customer", "staff"]
    date_hierarchy = "decided_at"
    show_full_result_count = False


@admin.register(ActionBatchRun)
class ActionBatchRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "status",
        "started_at",
        "finished_at",
        "last_customer_id",
        "max_customer_id",
        "chunks_done",
        "suggestions_written",
    ]
    list_filter = ["status"]
