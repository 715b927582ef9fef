from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "frontline.outreach"
    label = "outreach"
    verbose_name = "Outreach"

    def ready(self) -> None:
        from frontline.customers.panels import ProfilePanel, profile_panel_register
        from frontline.notifications.kinds import NotificationKind, kind_register
        from frontline.outreach import personal_data
        from frontline.outreach.services import profile_thread
        from frontline.privacy.registry import personal_data_source_register

        for key, label, audience in [
            (
                "outreach.reply_received",
                "Customer replied",
                "the associate who last wrote to the customer on that channel, else the "
                "customer's preferred associate, else the staff of the customer's store",
            ),
            (
                "outreach.message_failed",
                "Message could not be sent",
                "the staff member who wrote the message",
            ),
        ]:
            kind_register(NotificationKind(key, label, audience, "outreach"))

        profile_panel_register(
            ProfilePanel(
                key="messages",
                title=_("Messages"),
                order=40,
                template="outreach/panel.html",
                context=lambda user, customer: {
                    "thread": profile_thread(by=user, customer=customer, limit=20)
                },
            )
        )
        personal_data_source_register(
            "outreach",
            export=personal_data.outreach_personal_data_export,
            erase=personal_data.outreach_personal_data_erase,
            relations=["outreach.Conversation.customer", "outreach.Message.customer"],
        )
