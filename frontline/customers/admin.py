from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from frontline.actions.services import (
    actions_refresh_for_customer_on_commit,
    actions_refresh_for_customers_on_commit,
)
from frontline.customers.models import (
    Consent,
    Customer,
    CustomerIdentity,
    CustomerPreference,
    CustomerSize,
    Interaction,
    SentimentBackfill,
)


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    raw_id_fields = ["recorded_by"]


class SizeInline(admin.TabularInline):
    model = CustomerSize
    extra = 0
    raw_id_fields = ["updated_by"]


class PreferenceInline(admin.TabularInline):
    model = CustomerPreference
    extra = 0
    raw_id_fields = ["updated_by"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["number", "first_name", "last_name", "email", "tier", "preferred_store"]
    list_filter = ["tier", "preferred_store"]
    # Prefix searches only: an unanchored search over a million customers would scan them all.
    search_fields = ["=number", "^email", "^last_name", "=phone"]
    raw_id_fields = ["preferred_associate", "merged_into"]
    list_select_related = ["preferred_store"]
    show_full_result_count = False
    inlines = [IdentityInline, ConsentInline, SizeInline, PreferenceInline]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["customer", "occurred_at", "channel", "kind", "sentiment", "source"]
    list_filter = ["channel", "kind", "sentiment", "source"]
    raw_id_fields = ["customer", "staff", "store"]
    show_full_result_count = False

    # A complaint logged, corrected or removed in the back office shows on the customer's
    # recommended actions without waiting for the nightly batch.

    def save_model(self, request: HttpRequest, obj: Interaction, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        actions_refresh_for_customer_on_commit(customer_id=obj.customer_id)

    def delete_model(self, request: HttpRequest, obj: Interaction) -> None:
        super().delete_model(request, obj)
        actions_refresh_for_customer_on_commit(customer_id=obj.customer_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Interaction]) -> None:
        customer_ids = set(queryset.values_list("customer_id", flat=True))
        super().delete_queryset(request, queryset)
        actions_refresh_for_customers_on_commit(customer_ids=customer_ids)


@admin.register(SentimentBackfill)
class SentimentBackfillAdmin(admin.ModelAdmin):
    """Progress of scoring the history (manage.py sentiment_backfill): read, never edited."""

    list_display = [
        "model",
        "percent_done",
        "total",
        "last_interaction_id",
        "target_interaction_id",
    ]
    list_display += ["scored", "unknown", "started_at", "updated_at", "finished_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
