"""Writes: raising a notification, reading it, and managing Web Push subscriptions.

``notification_create`` is the one way any domain tells staff about something::

    from frontline.notifications.audiences import to_staff
    from frontline.notifications.services import notification_create

    notification_create(kind="hold.expiring", recipients=to_staff(hold.created_by),
                        title="Hold expires in 2 hours", link=f"/holds/{hold.pk}/",
                        dedupe_key=f"hold-{hold.pk}-expiring")

Call it inside the caller's transaction: the rows are written with the caller's data, and
delivery (live over the channel layer, Web Push through Celery) is queued with
``transaction.on_commit``, so nobody hears of something that was rolled back.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from frontline.notifications import delivery
from frontline.notifications.audiences import Audience, to_staff
from frontline.notifications.groups import (
    CREATED,
    LIVE,
    READ,
    REGROUP,
    SESSION_LOCKED,
    SIGNED_OUT,
    session_digest,
    staff_group,
)
from frontline.notifications.kinds import kind_for
from frontline.notifications.models import Notification, NotificationRecipient, PushSubscription
from frontline.notifications.payloads import notification_payload
from frontline.notifications.selectors import unread_count
from frontline.staff.models import Store, User

TITLE_LIMIT = Notification._meta.get_field("title").max_length or 140
BODY_LIMIT = Notification._meta.get_field("body").max_length or 500
LINK_LIMIT = Notification._meta.get_field("link").max_length or 500
DEDUPE_KEY_LIMIT = Notification._meta.get_field("dedupe_key").max_length or 200


def notification_create(
    *,
    kind: str,
    recipients: Audience,
    title: str,
    body: str = "",
    link: str = "",
    store: Store | None = None,
    dedupe_key: str = "",
    customer_id: int | None = None,
) -> Notification | None:
    """Record a notification for every recipient and deliver it once the transaction commits.

    ``customer_id`` names the customer the text is about, so that their erasure scrubs it.

    Returns the notification, the one raised before with the same ``kind`` and ``dedupe_key``
    (then nothing is delivered again), or ``None`` when the audience is empty.
    """
    kind_for(kind)
    _check_link(link)
    _check_dedupe_key(dedupe_key)
    if not title.strip():
        raise ValueError("A notification needs a title.")
    if not recipients:
        return None
    if dedupe_key and (earlier := _raised_before(kind, dedupe_key)):
        return earlier
    try:
        # A savepoint, so that losing a race on the dedupe key leaves the caller's transaction
        # usable.
        with transaction.atomic():
            notification = Notification.objects.create(
                kind=kind,
                title=_shorten(title.strip(), TITLE_LIMIT),
                body=_shorten(body.strip(), BODY_LIMIT),
                link=link,
                store=store,
                dedupe_key=dedupe_key,
                customer_id=customer_id,
            )
    except IntegrityError:
        if dedupe_key and (earlier := _raised_before(kind, dedupe_key)):
            return earlier
        raise
    NotificationRecipient.objects.bulk_create(
        NotificationRecipient(notification=notification, recipient_id=user_id)
        for user_id in sorted(recipients.user_ids)
    )
    _deliver_after_commit(notification, recipients)
    return notification


def live_event_send(*, recipients: Audience, event: dict[str, Any]) -> None:
    """Push an event to the recipients' open sockets now, without storing anything.

    For state a page can always read again from the server (a sync run's progress), never for
    something a person must be told: that is a notification, which survives a dropped push and
    a closed tablet. ``event["type"]`` is namespaced by the sending domain (``sync.…``).
    """
    if not str(event.get("type", "")).partition(".")[2]:
        raise ValueError("A live event's type is namespaced, e.g. 'sync.run_progress'.")
    # Encoded once here rather than once per socket in every server process.
    delivery.broadcast(recipients.groups(), {"type": LIVE, "frame": json.dumps(event)})


def notification_mark_read(*, user: User, notification_id: int) -> bool:
    """Mark one of the staff member's notifications read; False when it is not theirs."""
    exists = NotificationRecipient.objects.filter(
        recipient=user, notification_id=notification_id
    ).exists()
    if not exists:
        return False
    NotificationRecipient.objects.filter(
        recipient=user, notification_id=notification_id, read_at__isnull=True
    ).update(read_at=timezone.now())
    _announce_unread_count(user)
    return True


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the staff member read; returns how many were."""
    marked = NotificationRecipient.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    _announce_unread_count(user)
    return marked


def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Store (or move to this staff member) a browser's push subscription.

    A browser has one endpoint; when another staff member signs in on a shared tablet and
    opts in, the device's alerts follow the person now using it.
    """
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:300],
        },
    )
    return subscription


def push_subscription_delete(*, user: User, endpoint: str) -> bool:
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return bool(deleted)


def live_groups_refresh(*, user_id: int) -> None:
    """Have the staff member's open sockets re-read which stores they hear, after commit.

    Called when their store assignments change, or their account is deactivated (then the
    sockets close): a socket joins its groups when it opens, and would otherwise keep hearing a
    store they no longer work at, and miss one they have just joined, until it reconnects.
    """
    _tell_sockets(user_id, {"type": REGROUP})


def live_session_close(*, user_id: int, session_key: str) -> None:
    """Close the staff member's sockets that were opened with a session that signed out.

    Only that session's: the same person still signed in on another tablet keeps hearing.
    """
    _tell_sockets(user_id, {"type": SIGNED_OUT, "session": session_digest(session_key)})


def live_session_lock(*, user_id: int, session_key: str) -> None:
    """Close the staff member's sockets opened with a session whose tablet just locked: a
    locked screen shows nothing personal. They catch up on what they missed once unlocked."""
    if session_key:
        _tell_sockets(user_id, {"type": SESSION_LOCKED, "session": session_digest(session_key)})


# --- delivery ----------------------------------------------------------------------------


def _tell_sockets(user_id: int, message: dict[str, Any]) -> None:
    def push() -> None:
        delivery.broadcast([staff_group(user_id)], message)

    # robust: as for notifications, a channel layer that is down must not fail the caller.
    transaction.on_commit(push, robust=True)


def _deliver_after_commit(notification: Notification, recipients: Audience) -> None:
    groups = recipients.groups()
    # Encoded once here rather than once per socket in every server process.
    frame = json.dumps({"type": "notification", "notification": notification_payload(notification)})
    message = {"type": CREATED, "frame": frame}
    # Looked up only where Web Push can be sent: without its keys the devices are never asked.
    subscription_ids = (
        list(
            PushSubscription.objects.filter(user_id__in=recipients.user_ids).values_list(
                "pk", flat=True
            )
        )
        if delivery.web_push_configured()
        else []
    )

    def push_live() -> None:
        delivery.broadcast(groups, message)

    def queue_web_push() -> None:
        delivery.queue_web_push(notification.pk, subscription_ids)

    # robust: a channel layer or broker that is down must not fail the caller's request; the
    # notification is saved, and every client catches up on it when it reconnects.
    transaction.on_commit(push_live, robust=True)
    if subscription_ids:
        transaction.on_commit(queue_web_push, robust=True)


def _announce_unread_count(user: User) -> None:
    """Tell the staff member's other open tabs and devices, so every badge agrees."""
    message: dict[str, Any] = {"type": READ, "unread_count": unread_count(user)}

    def push_unread_count() -> None:
        delivery.broadcast([staff_group(user.pk)], message)

    transaction.on_commit(push_unread_count, robust=True)


def _raised_before(kind: str, dedupe_key: str) -> Notification | None:
    return Notification.objects.filter(kind=kind, dedupe_key=dedupe_key).first()


def _check_link(link: str) -> None:
    # Deep links stay inside the app: a path, never another site (nor a scheme-relative //).
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"A notification link must be a path inside the app, not {link!r}.")
    if len(link) > LINK_LIMIT:
        raise ValueError(f"A notification link may be {LINK_LIMIT} characters at most.")


def _check_dedupe_key(dedupe_key: str) -> None:
    if len(dedupe_key) > DEDUPE_KEY_LIMIT:
        raise ValueError(f"A dedupe key may be {DEDUPE_KEY_LIMIT} characters at most.")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def notification_test_send(*, user_id: int, title: str = "", body: str = "") -> Notification | None:
    """A test notification to one staff member (demos, and checking a tablet gets alerts)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    sent_at = timezone.localtime().strftime("%H:%M:%S")
    return notification_create(
        kind="system.test",
        recipients=to_staff(user),
        title=title or "Test notification",
        body=body or f"Sent at {sent_at}. If you can read this, alerts reach this tablet.",
        link=reverse("notifications:centre"),
    )
