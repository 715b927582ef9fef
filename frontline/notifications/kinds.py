"""The registry of notification kinds: every event that may reach a tablet, and who receives it.

A domain that wants to tell staff about something registers its kind, here (one line) or from
its own ``AppConfig.ready()`` with ``kind_register`` (the follow-ups do), and calls
``notification_create`` from its service, inside its own transaction, with one of the audiences
from ``frontline.notifications.audiences``. The audience named here is the contract; the call
site passes the matching audience helper.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str
    audience: str
    raised_by: str


KINDS: dict[str, NotificationKind] = {
    kind.key: kind
    for kind in [
        NotificationKind(
            "appointment.booked",
            "Appointment booked",
            "the stylist hosting it, or the store's staff while nobody is assigned",
            "appointments",
        ),
        NotificationKind(
            "appointment.rescheduled",
            "Appointment rescheduled",
            "the stylist hosting it, or the store's staff while nobody is assigned",
            "appointments",
        ),
        NotificationKind(
            "appointment.cancelled",
            "Appointment cancelled",
            "the stylist hosting it, or the store's staff while nobody is assigned",
            "appointments",
        ),
        NotificationKind(
            "appointment.starting_soon",
            "Appointment in 10 minutes",
            "the stylist hosting it",
            "appointments (beat task)",
        ),
        NotificationKind(
            "hold.expiring",
            "Hold expiring",
            "the staff member who placed the hold",
            "inventory (beat task)",
        ),
        NotificationKind(
            "hold.expired",
            "Hold expired",
            "the staff member who placed the hold",
            "inventory (beat task)",
        ),
        NotificationKind(
            "hold.requested",
            "Hold request from another store",
            "the staff of the store asked to put the item aside",
            "inventory",
        ),
        NotificationKind(
            "hold.request_answered",
            "Hold request accepted or declined",
            "the staff member who placed the hold",
            "inventory",
        ),
        NotificationKind(
            "stock.back_in_stock",
            "Back in stock for your customer",
            "the customer's preferred associate, else the managers of the customer's store",
            "inventory",
        ),
        NotificationKind(
            "customer.checked_in",
            "Customer checked in",
            "the staff of the store the customer checked in at",
            "customers",
        ),
        NotificationKind(
            "sync.run_failed",
            "Sync run failed",
            "the managers of the store concerned, or every store manager for a brand-wide run",
            "sync",
        ),
        NotificationKind(
            "system.test",
            "Test notification",
            "the staff member named by whoever sends it",
            "manage.py send_test_notification",
        ),
    ]
}


def kind_register(kind: NotificationKind) -> None:
    """Register a domain's kind from its ``AppConfig.ready()``; a key is registered once.

    Registering the same kind again (a reloaded app) is harmless; another kind under a key
    that is taken is a programming error.
    """
    existing = KINDS.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"Notification kind {kind.key!r} is already registered differently.")
    KINDS[kind.key] = kind


def kind_for(key: str) -> NotificationKind:
    """The registered kind, or a ValueError naming the ones that exist (a programming error)."""
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(
            f"Unknown notification kind {key!r}; register it in "
            "frontline/notifications/kinds.py or with kind_register "
            f"(known: {', '.join(sorted(KINDS))})."
        ) from None
