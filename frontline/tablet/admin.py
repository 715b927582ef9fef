from __future__ import annotations

from django.contrib import admin

from frontline.tablet.models import TabletPolicy


@admin.register(TabletPolicy)
class TabletPolicyAdmin(admin.ModelAdmin):
    list_display = ["store", "lock_after_minutes"]
    autocomplete_fields = ["store"]
