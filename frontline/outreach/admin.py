from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from frontline.outreach.models import (
    Campaign,
    Conversation,
    Message,
    MessageEvent,
    MessageTemplate,
)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "purpose", "whatsapp_content_sid", "is_active"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["name", "key"]


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "error_code", "provider_id", "received_at"]
    exclude = ["dedupe_key"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "channel", "direction", "purpose", "status"]
    list_filter = ["channel", "direction", "status", "purpose"]
    raw_id_fields = [
        "customer",
        "conversation",
        "sent_by",
        "interaction",
        "template",
        "campaign",
    ]
    readonly_fields = ["idempotency_key", "provider_id", "attempts", "claimed_at", "created_at"]
    inlines = [MessageEventInline]


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["customer", "channel", "associate", "last_message_at", "last_inbound_at"]
    list_filter = ["channel"]
    raw_id_fields = ["customer", "associate", "store"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Campaigns are run from the managers' page; the back office reads them."""

    list_display = ["name", "store", "channel", "status", "queued_count", "launched_at"]
    list_filter = ["status", "channel", "store"]
    raw_id_fields = ["created_by", "launched_by", "template"]
    readonly_fields = [
        "status",
        "launched_by",
        "launched_at",
        "queued_at",
        "last_customer_id",
        "queued_count",
        "excluded",
    ]
