"""Writes of the follow-ups domain: create, reassign, snooze, complete, cancel.

Every write checks who asks (through the staff scoping helper), changes the row under a lock,
appends one ``FollowUpEvent`` and raises its notification in the same transaction, so a
rejected request leaves nothing behind and an accepted one leaves a complete trace.

Errors people can fix are ``ValidationError`` (by field); acting on a follow-up one may see but
not change is ``PermissionDenied``; one outside the staff member's stores is
``FollowUp.DoesNotExist`` (shown as "not found": its existence is not told).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from frontline.actions.services import actions_refresh_for_customer_on_commit
from frontline.customers.models import (
    Customer,
    Interaction,
    InteractionChannel,
    InteractionKind,
)
from frontline.customers.selectors import customers_in_stores_of
from frontline.followups.models import (
    ACTIVE_STATUSES,
    EventKind,
    FollowUp,
    FollowUpEvent,
    Outcome,
    Priority,
    Reason,
    Status,
)
from frontline.followups.selectors import followups_visible_to, store_today
from frontline.followups.signals import followup_completed
from frontline.notifications.audiences import to_staff
from frontline.notifications.models import Notification
from frontline.notifications.services import notification_create
from frontline.staff.models import Store, StoreAssignment, User
from frontline.staff.selectors import is_manager_of, stores_for

# A follow-up further out than this is a wish, not a plan.
MAX_DAYS_AHEAD = 366
MAX_SNOOZE_DAYS = 90


# --- Checks ---------------------------------------------------------------------------------


def _check_reason(reason: str, reason_text: str) -> None:
    if reason not in Reason.values:
        raise ValidationError(
            {
                "reason": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(Reason.values)}
            }
        )
    if reason == Reason.OTHER and not reason_text.strip():
        raise ValidationError(
            {"reason_text": gettext("Say in a few words what the follow-up is for.")}
        )


def _check_due_on(due_on: date, store: Store, *, field: str = "due_on") -> None:
    today = store_today(store)
    if due_on < today:
        raise ValidationError(
            {
                field: gettext("Choose today or a later day (today at %(name)s is %(today)s).")
                % {"name": store.name, "today": format(today, "%-d %b %Y")}
            }
        )
    if due_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError({field: gettext("Choose a day within the next year.")})


def _check_assignee(assignee_id: int, store: Store) -> User:
    assignee = User.objects.filter(
        pk=assignee_id,
        is_active=True,
        pk__in=StoreAssignment.objects.filter(store=store).values("user_id"),
    ).first()
    if assignee is None:
        raise ValidationError(
            {"assignee": gettext("Choose someone who works at %(name)s.") % {"name": store.name}}
        )
    return assignee


def _visible_customer(by: User, customer_id: int) -> Customer:
    customer = (
        customers_in_stores_of(by).select_related("preferred_store").filter(pk=customer_id).first()
    )
    if customer is None:
        # The same words whether the customer does not exist or is another store's.
        raise ValidationError({"customer": gettext("No such customer among the ones you may see.")})
    return customer


def _store_for(by: User, customer: Customer, store_id: int | None) -> Store:
    """The store the follow-up belongs to: the one named, else the customer's own store."""
    wanted = store_id if store_id is not None else customer.preferred_store_id
    store = stores_for(by).filter(pk=wanted).first() if wanted is not None else None
    if store is None:
        raise ValidationError({"store": gettext("Choose one of your stores.")})
    return store


def _locked(by: User, followup_id: int) -> FollowUp:
    """The follow-up, locked; ``FollowUp.DoesNotExist`` outside the staff member's stores."""
    return (
        followups_visible_to(by)
        .select_for_update(of=("self",))
        .select_related("store", "customer", "assignee")
        .get(pk=followup_id)
    )


def _require_active(followup: FollowUp) -> None:
    if followup.status not in ACTIVE_STATUSES:
        raise ValidationError(
            {
                "status": gettext("This follow-up is already %(status)s.")
                % {"status": str(followup.get_status_display()).lower()}
            }
        )


def _require_manager(by: User, followup: FollowUp, doing: str) -> None:
    if not is_manager_of(by, followup.store):
        raise PermissionDenied(
            gettext("Only a manager of %(name)s may %(doing)s.")
            % {"name": followup.store.name, "doing": doing}
        )


def _require_assignee(by: User, followup: FollowUp, doing: str) -> None:
    if followup.assignee_id != by.pk:
        name = followup.assignee.get_full_name() or followup.assignee.username
        raise PermissionDenied(
            gettext(
                "This follow-up is %(name)s's: only they may %(doing)s it (a manager can reassign "
                "it first)."
            )
            % {"name": name, "doing": doing}
        )


# --- History and notifications ---------------------------------------------------------------


def _record(followup: FollowUp, kind: str, by: User | None, **data: Any) -> FollowUpEvent:
    return FollowUpEvent.objects.create(
        followup=followup, kind=kind, by=by, at=timezone.now(), data=data
    )


def followup_assignee_tell(
    followup: FollowUp, event: FollowUpEvent, by: User | None
) -> Notification | None:
    """Assigning work to someone else tells them; nobody is told of work they gave themselves.
    The notification, or None when nobody was told."""
    if by is not None and by.pk == followup.assignee_id:
        return None
    return notification_create(
        kind="followup.assigned",
        recipients=to_staff(followup.assignee),
        title=f"New follow-up: {followup.customer.full_name}",
        body=f"{followup.title} — due {followup.due_on:%a %-d %b}.",
        link=f"/followups/{followup.pk}/",
        store=followup.store,
        dedupe_key=f"followup-{followup.pk}-assigned-{event.pk}",
        customer_id=followup.customer_id,
    )


# --- Writes ---------------------------------------------------------------------------------


def followup_insert(
    *,
    customer: Customer,
    store: Store,
    assignee: User,
    due_on: date,
    reason: str,
    reason_text: str = "",
    priority: int = Priority.NORMAL,
    created_by: User | None = None,
    source_key: str | None = None,
) -> FollowUp:
    """Write a checked follow-up with its first history entry and tell the assignee.

    The callers have checked who may ask; this is shared by people and by rules.
    """
    followup = FollowUp.objects.create(
        customer=customer,
        store=store,
        assignee=assignee,
        created_by=created_by,
        due_on=due_on,
        reason=reason,
        reason_text=reason_text.strip(),
        priority=priority,
        source_key=source_key,
    )
    event = _record(
        followup,
        EventKind.CREATED,
        created_by,
        assignee=assignee.pk,
        due_on=due_on.isoformat(),
        reason=reason,
        source=source_key or "",
    )
    followup_assignee_tell(followup, event, created_by)
    return followup


def followup_create(
    *,
    by: User,
    customer_id: int,
    assignee_id: int,
    due_on: date,
    reason: str,
    reason_text: str = "",
    priority: int = Priority.NORMAL,
    store_id: int | None = None,
) -> FollowUp:
    """A staff member plans a follow-up: managers for anyone at their store, others for
    themselves."""
    _check_reason(reason, reason_text)
    if priority not in Priority.values:
        raise ValidationError({"priority": gettext("Choose high, normal or low.")})
    customer = _visible_customer(by, customer_id)
    store = _store_for(by, customer, store_id)
    if assignee_id != by.pk and not is_manager_of(by, store):
        raise ValidationError(
            {
                "assignee": gettext("Only a manager of %(name)s assigns follow-ups to others.")
                % {"name": store.name}
            }
        )
    assignee = _check_assignee(assignee_id, store)
    _check_due_on(due_on, store)
    with transaction.atomic():
        return followup_insert(
            customer=customer,
            store=store,
            assignee=assignee,
            due_on=due_on,
            reason=reason,
            reason_text=reason_text,
            priority=priority,
            created_by=by,
        )


def followup_reassign(*, by: User, followup_id: int, assignee_id: int) -> FollowUp:
    with transaction.atomic():
        followup = _locked(by, followup_id)
        _require_manager(by, followup, gettext("reassign its follow-ups"))
        _require_active(followup)
        assignee = _check_assignee(assignee_id, followup.store)
        if assignee.pk == followup.assignee_id:
            return followup
        previous = followup.assignee_id
        followup.assignee = assignee
        # The new assignee is reminded afresh.
        followup.due_soon_notified_for = followup.overdue_notified_for = None
        followup.save(
            update_fields=[
                "assignee",
                "due_soon_notified_for",
                "overdue_notified_for",
                "updated_at",
            ]
        )
        event = _record(followup, EventKind.REASSIGNED, by, before=previous, after=assignee.pk)
        followup_assignee_tell(followup, event, by)
    return followup


def followup_cancel(*, by: User, followup_id: int, reason: str = "") -> FollowUp:
    """Managers cancel any of their store's follow-ups; anyone cancels one they planned for
    themselves."""
    with transaction.atomic():
        followup = _locked(by, followup_id)
        planned_for_self = followup.created_by_id == by.pk == followup.assignee_id
        if not planned_for_self:
            _require_manager(by, followup, gettext("cancel its follow-ups"))
        _require_active(followup)
        followup.status = Status.CANCELLED
        followup.save(update_fields=["status", "updated_at"])
        _record(followup, EventKind.CANCELLED, by, reason=reason.strip()[:200])
    return followup


def followup_snooze(*, by: User, followup_id: int, until: date, reason: str) -> FollowUp:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why it waits (e.g. customer travelling).")})
    with transaction.atomic():
        followup = _locked(by, followup_id)
        _require_assignee(by, followup, gettext("snooze"))
        _require_active(followup)
        today = store_today(followup.store)
        if until <= today:
            raise ValidationError({"until": gettext("Snooze until a later day than today.")})
        if until > today + timedelta(days=MAX_SNOOZE_DAYS):
            raise ValidationError(
                {
                    "until": gettext("Snooze for at most %(limit)s days; cancel it instead.")
                    % {"limit": MAX_SNOOZE_DAYS}
                }
            )
        before = followup.due_on
        followup.status = Status.SNOOZED
        followup.due_on = until
        followup.snooze_reason = reason[:200]
        followup.save(update_fields=["status", "due_on", "snooze_reason", "updated_at"])
        _record(
            followup,
            EventKind.SNOOZED,
            by,
            before=before.isoformat(),
            after=until.isoformat(),
            reason=reason[:200],
        )
    return followup


def followup_complete(
    *,
    by: User,
    followup_id: int,
    outcome: str,
    note: str = "",
    channel: str = InteractionChannel.PHONE,
) -> FollowUp:
    """The assignee records what happened; the note lands on the customer's timeline."""
    if outcome not in Outcome.values:
        raise ValidationError(
            {
                "outcome": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(Outcome.values)}
            }
        )
    if channel not in InteractionChannel.values:
        raise ValidationError({"channel": gettext("Choose how you contacted the customer.")})
    note = note.replace("\x00", "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": gettext("A note is at most 2,000 characters.")})
    with transaction.atomic():
        followup = _locked(by, followup_id)
        _require_assignee(by, followup, gettext("complete"))
        _require_active(followup)
        now = timezone.now()
        done_on = timezone.localtime(now, followup.store.time_zone).date()
        followup.status = Status.DONE
        followup.outcome = outcome
        followup.note = note
        followup.completed_at = now
        followup.completed_on = done_on
        followup.days_late = max(0, (done_on - followup.due_on).days)
        followup.save(
            update_fields=[
                "status",
                "outcome",
                "note",
                "completed_at",
                "completed_on",
                "days_late",
                "updated_at",
            ]
        )
        _record(followup, EventKind.COMPLETED, by, outcome=outcome, note=note[:500])
        # Stored words are in the brand's language whoever's store wrote them: the timeline
        # is read by every store, and the CRM receives the same summary.
        with translation.override(settings.LANGUAGE_CODE):
            outcome_label = str(Outcome(outcome).label)
            title = followup.title
        summary = f"Follow-up ({title}): {outcome_label}." + (f" {note}" if note else "")
        Interaction.objects.create(
            customer_id=followup.customer_id,
            channel=channel,
            kind=InteractionKind.NOTE,
            summary=summary[:500],
            store=followup.store,
            staff=by,
            occurred_at=now,
        )
        followup_completed.send(
            sender=FollowUp,
            followup_id=followup.pk,
            customer_id=followup.customer_id,
            outcome=outcome_label,
            summary=summary,
            occurred_at=now,
        )
        # What was said may change what to suggest next (a complaint resolved, say).
        actions_refresh_for_customer_on_commit(customer_id=followup.customer_id)
    return followup
