"""Raising a notification: who gets a copy, after commit only, once per dedupe key."""

from __future__ import annotations

import pytest
from django.db import transaction

from frontline.notifications import delivery
from frontline.notifications.audiences import (
    NOBODY,
    to_all_managers,
    to_staff,
    to_store_managers,
    to_store_staff,
)
from frontline.notifications.kinds import KINDS
from frontline.notifications.models import Notification, NotificationRecipient
from frontline.notifications.services import notification_create
from frontline.staff.models import StaffRole
from tests.factories import staff_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[list[str], dict]]:
    """What reaches the channel layer. (The real layer is exercised in test_live.py.)"""
    messages: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        delivery, "broadcast", lambda groups, message: messages.append((list(groups), message))
    )
    return messages


def recipients_of(notification: Notification) -> set[str]:
    return set(
        NotificationRecipient.objects.filter(notification=notification).values_list(
            "recipient__username", flat=True
        )
    )


def test_the_registry_lists_every_event_of_the_issue_with_its_audience():
    expected = {
        "followup.assigned",
        "followup.due_soon",
        "followup.overdue",
        "appointment.booked",
        "appointment.rescheduled",
        "appointment.cancelled",
        "appointment.starting_soon",
        "hold.expiring",
        "hold.expired",
        "stock.back_in_stock",
        "customer.checked_in",
        "sync.run_failed",
    }
    assert expected <= set(KINDS)
    assert all(kind.audience and kind.label for kind in KINDS.values())


def test_a_store_wide_event_reaches_every_active_member_of_that_store_through_one_group(
    store, other_store, sent, django_capture_on_commit_callbacks
):
    associate = staff_at(store)
    manager = staff_at(store, StaffRole.MANAGER)
    staff_at(store, is_active=False)
    staff_at(other_store)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            kind="customer.checked_in",
            recipients=to_store_staff(store),
            title="Ana is here",
            link="/customers/1/",
            store=store,
        )
    assert recipients_of(notification) == {associate.username, manager.username}
    assert sent == [
        (
            [f"store-{store.pk}"],
            {
                "type": "notification.created",
                "notification": {
                    "id": notification.pk,
                    "kind": "customer.checked_in",
                    "title": "Ana is here",
                    "body": "",
                    "link": "/customers/1/",
                    "store_id": store.pk,
                    "created_at": notification.created_at.isoformat(),
                    "read": False,
                },
            },
        )
    ]


def test_managers_only_events_skip_associates(
    store, other_store, sent, django_capture_on_commit_callbacks
):
    staff_at(store)
    manager = staff_at(store, StaffRole.MANAGER)
    manager_elsewhere = staff_at(other_store, StaffRole.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        for_store = notification_create(
            kind="sync.run_failed", recipients=to_store_managers(store), title="POS sync failed"
        )
        brand_wide = notification_create(
            kind="sync.run_failed", recipients=to_all_managers(), title="CRM sync failed"
        )
    assert recipients_of(for_store) == {manager.username}
    assert recipients_of(brand_wide) == {manager.username, manager_elsewhere.username}
    assert sent[0][0] == [f"staff-{manager.pk}"]


def test_combined_audiences_reach_each_person_once(
    store, other_store, sent, django_capture_on_commit_callbacks
):
    colleague = staff_at(store)
    visiting = staff_at(other_store)
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_create(
            kind="appointment.booked",
            recipients=to_store_staff(store) | to_staff(colleague, visiting),
            title="Styling session at 15:00",
        )
    assert recipients_of(notification) == {colleague.username, visiting.username}
    # The colleague hears it through the store group only; the visitor gets a personal message.
    assert sent[0][0] == [f"store-{store.pk}", f"staff-{visiting.pk}"]


def test_nothing_is_delivered_before_commit_and_nothing_at_all_after_a_rollback(associate, sent):
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_create(kind="hold.expired", recipients=to_staff(associate), title="Expired")
        assert sent == []  # still inside the transaction
        raise RuntimeError("the hold update failed")
    assert sent == []
    assert not Notification.objects.exists()


def test_the_same_dedupe_key_raises_once(associate, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_create(
            kind="hold.expiring",
            recipients=to_staff(associate),
            title="Expires in 2 hours",
            dedupe_key="hold-7-expiring",
        )
        again = notification_create(
            kind="hold.expiring",
            recipients=to_staff(associate),
            title="Expires in 2 hours",
            dedupe_key="hold-7-expiring",
        )
    assert again == first
    assert NotificationRecipient.objects.count() == 1
    assert len(sent) == 1


def test_nobody_to_tell_writes_nothing(sent):
    assert notification_create(kind="hold.expired", recipients=NOBODY, title="x") is None
    assert notification_create(kind="hold.expired", recipients=to_staff(None), title="x") is None
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "made.up"}, "Unknown notification kind"),
        ({"link": "https://evil.example/"}, "path inside the app"),
        ({"link": "//evil.example/"}, "path inside the app"),
        ({"title": "  "}, "needs a title"),
    ],
)
def test_bad_input_is_refused_with_a_reason(associate, fields, message):
    arguments = {
        "kind": "hold.expired",
        "recipients": to_staff(associate),
        "title": "Expired",
        **fields,
    }
    with pytest.raises(ValueError, match=message):
        notification_create(**arguments)


def test_long_texts_are_shortened_rather_than_refused(associate, sent):
    notification = notification_create(
        kind="hold.expired", recipients=to_staff(associate), title="x" * 300, body="y" * 900
    )
    assert len(notification.title) == 140 and notification.title.endswith("…")
    assert len(notification.body) == 500
