"""Profile panels other domains plug into the customer profile without editing its template.

A domain registers a panel in its ``AppConfig.ready()``::

    from frontline.customers.panels import ProfilePanel, profile_panel_register

    profile_panel_register(ProfilePanel(
        key="holds", title="Holds", order=20,
        template="catalog/holds_panel.html",
        context=lambda user, customer: {"holds": holds_for(user=user, customer=customer)},
    ))

A panel with a ``context`` function is fetched lazily by htmx, all panels in one request when
their list comes into view (so the profile page keeps its fixed number of queries however many
domains plug in), and has its own URL, linked for browsers without JavaScript. A panel without
one shows its empty state: the slots for features that are not built yet say so honestly
instead of showing made-up data.

The profile opens for any staff member of the brand (lookup is brand-wide), so each panel's
``context`` scopes the store work it shows itself (holds, follow-ups, messages, actions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from frontline.customers.models import Customer
from frontline.staff.models import User

PanelContext = Callable[[User, Customer], dict[str, Any]]


@dataclass(frozen=True)
class ProfilePanel:
    key: str
    title: str | Promise  # translated lazily: each staff member reads their store's language
    empty_text: str | Promise = ""
    order: int = 100
    template: str = ""
    context: PanelContext | None = None

    @property
    def is_live(self) -> bool:
        return self.context is not None and bool(self.template)


_PANELS: dict[str, ProfilePanel] = {}


def profile_panel_register(panel: ProfilePanel) -> None:
    """Add a panel, or replace the placeholder with the same key."""
    _PANELS[panel.key] = panel


def profile_panels() -> list[ProfilePanel]:
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.key))


def profile_panel(key: str) -> ProfilePanel | None:
    return _PANELS.get(key)


# Placeholders for what later issues bring; each is replaced when its domain registers.
for _order, (_key, _title, _empty) in enumerate(
    [
        (
            "actions",
            _("Recommended actions"),
            _("No recommended actions yet: they arrive with the actions engine."),
        ),
        ("holds", _("Holds"), _("No holds: keeping items aside arrives with inventory.")),
        ("followups", _("Follow-ups"), _("No follow-ups: they arrive with the follow-up planner.")),
        (
            "appointments",
            _("Appointments"),
            _("No appointments: booking arrives with virtual styling."),
        ),
        ("messages", _("Messages"), _("No messages: conversations arrive with outreach.")),
    ]
):
    profile_panel_register(
        ProfilePanel(key=_key, title=_title, empty_text=_empty, order=_order * 10)
    )


def _register_installed_panels() -> None:
    """Panels of domains that already exist; each comes as that domain's template tag, which
    reads the staff member from the request and scopes what it shows itself."""
    from django.apps import apps

    if apps.is_installed("frontline.actions"):
        profile_panel_register(
            ProfilePanel(
                key="actions",
                title=_("Recommended actions"),
                order=0,
                template="customers/panels/actions.html",
                context=lambda user, customer: {},
            )
        )

    if apps.is_installed("frontline.catalog"):
        profile_panel_register(
            ProfilePanel(
                key="holds",
                title=_("Holds"),
                order=10,
                template="customers/panels/holds.html",
                context=lambda user, customer: {},
            )
        )


_register_installed_panels()
