from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from frontline.privacy.models import (
    ErasureRequest,
    ErasureStep,
    ErasureStepStatus,
    PersonalDataAccess,
)
from frontline.privacy.services import erasure_step_confirm
from frontline.staff.models import User


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


class ErasureStepInline(admin.TabularInline):
    model = ErasureStep
    fields = readonly_fields = (
        "system",
        "external_ids",
        "status",
        "detail",
        "confirmed_at",
        "confirmed_by",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    """Erasure requests and where each system stands; steps are confirmed from their list."""

    list_display = ["requested_at", "customer_number", "requested_by", "status", "completed_at"]
    list_filter = ["status", "requested_at"]
    search_fields = ["=customer_number"]
    inlines = [ErasureStepInline]


@admin.register(ErasureStep)
class ErasureStepAdmin(ReadOnlyAdmin):
    """One line a system per erasure: an admin confirms here what a system without write-back
    (or whose confirmation came by e-mail) has erased."""

    list_display = ["request", "system", "status", "detail", "confirmed_at", "confirmed_by"]
    list_filter = ["status", "system"]
    list_select_related = ["request", "confirmed_by"]
    actions = ["confirm_erased"]

    @admin.action(description="Confirm: the system erased the customer's records")
    def confirm_erased(self, request: HttpRequest, queryset: QuerySet[ErasureStep]) -> None:
        user = cast(User, request.user)
        confirmed = 0
        for step in queryset.filter(status=ErasureStepStatus.WAITING).select_related("request"):
            erasure_step_confirm(
                step=step, by=user, detail=f"Confirmed in the back office by {user.get_username()}"
            )
            confirmed += 1
        self.message_user(request, f"{confirmed} step(s) confirmed.", messages.SUCCESS)
