from __future__ import annotations

from django.contrib import admin

from frontline.sentiment.models import LearnedModelVersion


@admin.register(LearnedModelVersion)
class LearnedModelVersionAdmin(admin.ModelAdmin):
    """The training history, read-only: models come from the nightly training, not from hand."""

    list_display = ("name", "trained_at", "outcome", "in_use", "trained_texts", "held_out_texts")
    list_filter = ("outcome", "in_use")
    exclude = ("blob",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
