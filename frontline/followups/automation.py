"""Follow-ups nobody typed in: from accepted recommended actions, from rules, and reminders.

Each automatic follow-up carries a ``source_key`` naming what caused it ("an order", "an
interaction", "an accepted suggestion"); the key is unique, so running a rule twice, or two
workers running it at once, creates each follow-up once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from frontline.actions.models import ActionOutcome
from frontline.customers.models import Interaction, InteractionKind, Sentiment
from frontline.followups.models import ACTIVE_STATUSES, FollowUp, Priority, Reason, Status
from frontline.followups.selectors import action_source_key, store_today
from frontline.followups.services import followup_insert
from frontline.notifications.audiences import to_staff
from frontline.notifications.services import notification_create
from frontline.orders.models import Order
from frontline.staff.models import StaffRole, Store, StoreAssignment, User
from frontline.staff.selectors import primary_store_for

logger = logging.getLogger(__name__)

# A purchase this many days after a follow-up was done counts as its outcome on the board.
PURCHASE_WINDOW_DAYS = 14

# What caused an automatic follow-up: an order or an interaction.
Source = TypeVar("Source", Order, Interaction)


@dataclass(frozen=True)
class FollowUpRules:
    """Thresholds of the automatic follow-ups, from ``settings.FOLLOWUPS``."""

    # A thank-you follow-up, due this many days after a sale at least this big.
    thank_you_min_order_total: Decimal = Decimal("500")
    thank_you_after_days: int = 3
    # How far back each rule run looks for sales and unhappy contacts (a run that was missed
    # for a day still catches up; the source keys keep it from repeating itself).
    lookback_days: int = 3

    @classmethod
    def load(cls) -> FollowUpRules:
        overrides = getattr(settings, "FOLLOWUPS", {}) or {}
        unknown = set(overrides) - {field.name for field in fields(cls)}
        if unknown:
            raise ValueError(f"settings.FOLLOWUPS has unknown keys: {', '.join(sorted(unknown))}")
        return cls(**overrides)


# --- Accepting a recommended action --------------------------------------------------------

# The follow-up each rule of the actions engine names; a rule not listed becomes "other" with
# the suggestion's reason as its text.
REASON_FOR_RULE = {
    "thank_you_purchase": Reason.THANK_YOU,
    "complaint_unresolved": Reason.SERVICE_RECOVERY,
    "birthday_soon": Reason.OCCASION,
    "anniversary_soon": Reason.OCCASION,
    "lapsing_high_value": Reason.CHECK_IN,
    "new_arrival_brand": Reason.NEW_ARRIVALS,
    "back_in_stock": Reason.BACK_IN_STOCK,
    "hold_expiring": Reason.HOLD,
}


def _works_at(user: User, store: Store) -> bool:
    return StoreAssignment.objects.filter(user=user, store=store, user__is_active=True).exists()


def followup_from_accepted_action(outcome: ActionOutcome) -> str | None:
    """The ``ACTIONS_ACCEPT_HANDLERS`` entry: accepting a suggestion plans its follow-up, due
    today for whoever accepted it, in the accepting transaction.

    Returns no URL: the associate stays where they were, and finds it on their day.
    """
    staff = outcome.staff
    if staff is None:
        return None
    store = outcome.store or primary_store_for(staff)
    if store is None or not _works_at(staff, store):
        # A head-office superuser accepting from the back office has no day to put it on.
        return None
    reason = REASON_FOR_RULE.get(outcome.rule, Reason.OTHER)
    high = outcome.rule == "complaint_unresolved"
    with transaction.atomic():
        followup_insert(
            customer=outcome.customer,
            store=store,
            assignee=staff,
            due_on=store_today(store),
            reason=reason,
            reason_text=outcome.reason[:200],
            priority=Priority.HIGH if high else Priority.NORMAL,
            created_by=staff,
            source_key=action_source_key(outcome.pk),
        )
    return None


# --- Rules ----------------------------------------------------------------------------------


def _store_managers(store_ids: set[int]) -> dict[int, User]:
    """One manager per store (the first by name), for follow-ups that need a manager."""
    managers: dict[int, User] = {}
    for assignment in (
        StoreAssignment.objects.filter(
            store_id__in=store_ids, role=StaffRole.MANAGER, user__is_active=True
        )
        .select_related("user")
        .order_by("store_id", "user__username")
    ):
        managers.setdefault(assignment.store_id, assignment.user)
    return managers


def _staff_by_store(store_ids: set[int]) -> set[tuple[int, int]]:
    return set(
        StoreAssignment.objects.filter(store_id__in=store_ids, user__is_active=True).values_list(
            "store_id", "user_id"
        )
    )


def _insert_once(**values: object) -> bool:
    """Insert unless its source key exists already; a race lost to another worker is fine."""
    try:
        with transaction.atomic():
            followup_insert(**values)  # type: ignore[arg-type]
    except IntegrityError:
        return False
    return True


def _store_id(record: Order | Interaction) -> int | None:
    """The store concerned: where it happened, else the customer's own store."""
    if record.store_id:
        return record.store_id
    return record.customer.preferred_store_id if record.customer else None


def _new(keys: dict[str, Source]) -> dict[str, Source]:
    """The candidates whose source key has no follow-up yet (one query)."""
    taken = set(
        FollowUp.objects.filter(source_key__in=list(keys)).values_list("source_key", flat=True)
    )
    return {key: value for key, value in keys.items() if key not in taken}


def followups_thank_you_after_purchase(*, now: datetime | None = None) -> int:
    """A sale at least as big as the threshold: a thank-you, due some days after it, for the
    customer's own associate (else whoever sold it, else the store's manager)."""
    now = now or timezone.now()
    rules = FollowUpRules.load()
    orders = {
        f"thank-you:order:{order.pk}": order
        for order in Order.objects.kept()
        .filter(
            kind=Order.Kind.SALE,
            total__gte=rules.thank_you_min_order_total,
            placed_at__gte=now - timedelta(days=rules.lookback_days),
            placed_at__lte=now,
            customer__merged_into__isnull=True,
            customer__deleted_at__isnull=True,
        )
        .select_related("customer", "customer__preferred_associate", "associate")
        .order_by("placed_at", "pk")
    }
    fresh = _new(orders)
    store_ids = {store_id for order in fresh.values() if (store_id := _store_id(order))}
    managers, staff = _store_managers(store_ids), _staff_by_store(store_ids)
    stores = Store.objects.in_bulk(store_ids)
    created = 0
    for key, order in fresh.items():
        customer = order.customer
        store = stores.get(_store_id(order) or 0)
        if store is None or customer is None:
            continue
        person = next(
            (
                candidate
                for candidate in (customer.preferred_associate, order.associate)
                if candidate is not None and (store.pk, candidate.pk) in staff
            ),
            managers.get(store.pk),
        )
        if person is None:
            continue
        placed_on = timezone.localtime(order.placed_at, store.time_zone).date()
        due_on = max(placed_on + timedelta(days=rules.thank_you_after_days), store_today(store))
        created += _insert_once(
            customer=customer,
            store=store,
            assignee=person,
            due_on=due_on,
            reason=Reason.THANK_YOU,
            reason_text=f"order {order.number}",
            source_key=key,
        )
    return created


def followups_service_recovery(*, now: datetime | None = None) -> int:
    """A complaint or an unhappy contact: a service-recovery follow-up, due today with high
    priority, for the manager of the store concerned."""
    now = now or timezone.now()
    rules = FollowUpRules.load()
    negatives = {
        f"service-recovery:interaction:{interaction.pk}": interaction
        for interaction in Interaction.objects.filter(
            Q(kind=InteractionKind.COMPLAINT) | Q(sentiment=Sentiment.NEGATIVE),
            occurred_at__gte=now - timedelta(days=rules.lookback_days),
            occurred_at__lte=now,
            customer__merged_into__isnull=True,
            customer__deleted_at__isnull=True,
        )
        .select_related("customer")
        .order_by("occurred_at", "pk")
    }
    fresh = _new(negatives)
    store_ids = {store_id for interaction in fresh.values() if (store_id := _store_id(interaction))}
    managers = _store_managers(store_ids)
    stores = Store.objects.in_bulk(store_ids)
    created = 0
    for key, interaction in fresh.items():
        customer = interaction.customer
        store = stores.get(_store_id(interaction) or 0)
        manager = managers.get(store.pk) if store else None
        if store is None or manager is None:
            continue
        summary = interaction.summary[:150]
        created += _insert_once(
            customer=customer,
            store=store,
            assignee=manager,
            due_on=store_today(store, now),
            reason=Reason.SERVICE_RECOVERY,
            reason_text=summary,
            priority=Priority.HIGH,
            source_key=key,
        )
    return created


# --- Reminders ------------------------------------------------------------------------------


def _remind(followup: FollowUp, *, kind: str, title: str, field: str) -> bool:
    """Claim the reminder for the follow-up's current day, then raise it, in one transaction:
    a second worker (or a rerun) finds it claimed and tells nobody twice."""
    with transaction.atomic():
        claimed = (
            FollowUp.objects.filter(
                pk=followup.pk, status__in=ACTIVE_STATUSES, due_on=followup.due_on
            )
            .exclude(**{field: F("due_on")})
            .update(**{field: followup.due_on})
        )
        if not claimed:
            return False
        notification_create(
            kind=kind,
            recipients=to_staff(followup.assignee),
            title=f"{title}: {followup.customer.full_name}",
            body=f"{followup.title} — due {followup.due_on:%a %-d %b}.",
            link=f"/followups/{followup.pk}/",
            store=followup.store,
            dedupe_key=f"followup-{followup.pk}-{kind}-{followup.due_on.isoformat()}",
            customer_id=followup.customer_id,
        )
    return True


def followups_remind(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Tell each assignee once that a follow-up is due today, and once that it is overdue.

    At most ``limit`` reminders per run: the beat task runs again shortly for the rest.
    """
    now = now or timezone.now()
    sent = 0
    for store in Store.objects.all():
        today: date = store_today(store, now)
        active = FollowUp.objects.filter(store=store, status__in=ACTIVE_STATUSES).select_related(
            "customer", "assignee", "store"
        )
        due_today = active.filter(due_on=today).filter(
            Q(due_soon_notified_for__isnull=True) | ~Q(due_soon_notified_for=F("due_on"))
        )
        overdue = active.filter(due_on__lt=today).filter(
            Q(overdue_notified_for__isnull=True) | ~Q(overdue_notified_for=F("due_on"))
        )
        for queryset, kind, title, field in (
            (due_today, "followup.due_soon", "Due today", "due_soon_notified_for"),
            (overdue, "followup.overdue", "Overdue", "overdue_notified_for"),
        ):
            for followup in queryset.order_by("due_on", "pk")[: max(0, limit - sent)]:
                sent += _remind(followup, kind=kind, title=title, field=field)
    return sent


def followups_mark_purchases(*, now: datetime | None = None) -> int:
    """Mark the follow-ups done in the last 14 days after which the customer bought: the team
    board's "purchase within 14 days". One set-wise UPDATE; a follow-up is marked once."""
    now = now or timezone.now()
    bought_after = Order.objects.kept().filter(
        customer_id=OuterRef("customer_id"),
        kind=Order.Kind.SALE,
        placed_at__gte=OuterRef("completed_at"),
        placed_at__lte=OuterRef("completed_at") + timedelta(days=PURCHASE_WINDOW_DAYS),
    )
    return (
        FollowUp.objects.filter(
            status=Status.DONE,
            purchased_after=False,
            completed_at__gte=now - timedelta(days=PURCHASE_WINDOW_DAYS),
        )
        .filter(Exists(bought_after))
        .update(purchased_after=True)
    )


def followups_from_rules(*, now: datetime | None = None) -> dict[str, int]:
    return {
        "thank_you": followups_thank_you_after_purchase(now=now),
        "service_recovery": followups_service_recovery(now=now),
        "purchases_marked": followups_mark_purchases(now=now),
    }
