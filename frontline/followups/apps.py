from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "frontline.followups"
    label = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        from frontline.customers.panels import ProfilePanel, profile_panel_register
        from frontline.customers.selectors import customers_in_stores_of
        from frontline.followups import personal_data
        from frontline.followups.selectors import followups_for_customer
        from frontline.notifications.kinds import NotificationKind, kind_register
        from frontline.privacy.registry import personal_data_source_register

        # The kinds this feature raises live with it (the issue asks for it): the registry in
        # notifications only lists them.
        assignee = "the staff member the follow-up is assigned to"
        for key, label, raised_by in [
            ("followup.assigned", "Follow-up assigned", "followups"),
            ("followup.due_soon", "Follow-up due soon", "followups (beat task)"),
            ("followup.overdue", "Follow-up overdue", "followups (beat task)"),
        ]:
            kind_register(NotificationKind(key, label, assignee, raised_by))

        profile_panel_register(
            ProfilePanel(
                key="followups",
                title=_("Follow-ups"),
                order=20,
                template="followups/panel.html",
                context=lambda user, customer: {
                    "followups": list(
                        followups_for_customer(user=user, customer_id=customer.pk)[:20]
                    ),
                    # Anyone opens the profile; the customer's own stores plan their follow-ups.
                    "may_plan": customers_in_stores_of(user).filter(pk=customer.pk).exists(),
                },
            )
        )
        personal_data_source_register(
            "followups",
            export=personal_data.followups_personal_data_export,
            erase=personal_data.followups_personal_data_erase,
            relations=["followups.FollowUp.customer"],
        )
