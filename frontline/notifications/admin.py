from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from frontline.notifications.models import Notification, NotificationRecipient, PushSubscription
from frontline.notifications.services import notification_test_send
from frontline.staff.admin import StaffUserAdmin
from frontline.staff.models import User


class NotificationRecipientInline(admin.TabularInline):
    model = NotificationRecipient
    extra = 0
    raw_id_fields = ["recipient"]
    readonly_fields = ["read_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "title", "store", "created_at"]
    list_filter = ["kind"]
    search_fields = ["title", "dedupe_key"]
    inlines = [NotificationRecipientInline]
    readonly_fields = ["created_at"]


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "user_agent", "created_at", "last_delivered_at"]
    raw_id_fields = ["user"]
    search_fields = ["user__username", "endpoint"]


@admin.action(description="Send a test notification")
def send_test_notification(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]
) -> None:
    sent = sum(1 for user in queryset if notification_test_send(user_id=user.pk))
    modeladmin.message_user(
        request, f"Sent a test notification to {sent} staff member(s).", messages.SUCCESS
    )


# The action belongs on the staff list, where a manager looks for the person to test with.
StaffUserAdmin.actions = [*(StaffUserAdmin.actions or []), send_test_notification]
