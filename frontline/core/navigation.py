"""The app's main navigation. Each domain adds its entry here when it has a page to show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    # A template rendered inside the entry (e.g. a count), for domains that have one.
    badge_template: str = ""


MAIN_NAVIGATION: list[NavItem] = [
    NavItem("Customers", "core:home", "search"),
    NavItem("Stock", "catalog:lookup", "box"),
    NavItem("Holds", "catalog:holds", "bookmark"),
    NavItem("Notifications", "notifications:centre", "bell", "notifications/badge.html"),
]
