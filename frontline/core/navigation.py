"""The app's main navigation. Each domain adds its entry here when it has a page to show.

An entry says who sees it: everyone signed in, or managers only (store managers and
superusers). Hiding an entry is a courtesy; the page itself still refuses whoever may not see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from frontline.staff.models import User
from frontline.staff.selectors import is_manager

Audience = Literal["everyone", "managers"]


@dataclass(frozen=True)
class NavItem:
    label: str | Promise  # translated when shown
    url_name: str
    icon: str
    # A template rendered inside the entry (e.g. a count), for domains that have one.
    badge_template: str = ""
    audience: Audience = "everyone"


MAIN_NAVIGATION: list[NavItem] = [
    NavItem(_("My day"), "core:home", "sun"),
    NavItem(_("Customers"), "customers:search", "search"),
    NavItem(_("Stock"), "catalog:lookup", "box"),
    NavItem(_("Holds"), "catalog:holds", "bookmark"),
    NavItem(_("Sessions"), "appointments:list", "calendar"),
    NavItem(_("Notifications"), "notifications:centre", "bell", "notifications/badge.html"),
    NavItem(_("Team board"), "followups:team", "users", audience="managers"),
    NavItem(_("Duplicates"), "customers:duplicates", "merge", audience="managers"),
    NavItem(_("Rule performance"), "actions:performance", "chart", audience="managers"),
    NavItem(_("Campaigns"), "outreach:campaigns", "send", audience="managers"),
    NavItem(_("Sync"), "sync:runs", "sync", audience="managers"),
]


def navigation_for(user: User) -> list[NavItem]:
    """The entries this staff member sees, in order."""
    if not user.is_authenticated:
        return []
    manager = is_manager(user)
    return [item for item in MAIN_NAVIGATION if item.audience == "everyone" or manager]
