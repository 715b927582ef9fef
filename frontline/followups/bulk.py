"""Bulk assignment: follow-ups for every customer a filter matches, shared fairly, undone at once.

A manager describes customers ("VIP, not seen for 90 days, size M in tops, likes Acme") at one
of the stores they manage and chooses associates. The preview says how many follow-ups each
person would get; creating them spreads the customers round-robin by *current open load* (the
next customer always goes to whoever has the fewest open follow-ups at that moment), in one
transaction, with one history entry per follow-up and one notification per person. Undo
cancels what is still open of that assignment, in one go.

Customers who already have an open follow-up at the store are left out (they are being looked
after), and a filter that matches nobody, or more than ``CONFIRM_ABOVE`` customers, is refused
until the manager narrows it or confirms.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from frontline.customers.models import (
    Customer,
    CustomerPreference,
    CustomerSize,
    PreferenceKind,
    SizeCategory,
    Tier,
)
from frontline.customers.selectors import customers_in_stores_of
from frontline.followups.models import (
    ACTIVE_STATUSES,
    BulkAssignment,
    EventKind,
    FollowUp,
    FollowUpEvent,
    Priority,
    Reason,
    Status,
)
from frontline.followups.selectors import managed_stores, staff_of_store, store_today
from frontline.followups.services import MAX_DAYS_AHEAD
from frontline.notifications.audiences import to_staff
from frontline.notifications.services import notification_create
from frontline.staff.models import Store, User

# Above this many customers the manager confirms first (the "50,000 customers").
CONFIRM_ABOVE = 10_000
INSERT_BATCH = 2_000
SAMPLE_SIZE = 10


# --- The filter -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkCriteria:
    tiers: tuple[str, ...] = ()
    not_seen_days: int | None = None  # no visit and no purchase for this many days
    last_purchase_within_days: int | None = None
    min_lifetime_value: Decimal | None = None
    max_lifetime_value: Decimal | None = None
    size_category: str = ""
    size: str = ""
    brand: str = ""

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> BulkCriteria:
        """From a form or JSON: every field optional; refusals name the field."""
        errors: dict[str, str] = {}
        tiers = raw.get("tiers") or ()
        if isinstance(tiers, str):
            tiers = [tiers]
        if not set(tiers) <= set(Tier.values):
            errors["tiers"] = f"Choose among: {', '.join(Tier.values)}."

        def days(name: str) -> int | None:
            value = raw.get(name)
            if value in (None, ""):
                return None
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = -1
            if not 1 <= number <= 3650:
                errors[name] = "A number of days from 1 to 3650."
                return None
            return number

        def money(name: str) -> Decimal | None:
            value = raw.get(name)
            if value in (None, ""):
                return None
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                amount = Decimal(-1)
            if not amount.is_finite() or amount < 0:
                errors[name] = "An amount of 0 or more."
                return None
            return amount

        criteria = cls(
            tiers=tuple(sorted(set(tiers))),
            not_seen_days=days("not_seen_days"),
            last_purchase_within_days=days("last_purchase_within_days"),
            min_lifetime_value=money("min_lifetime_value"),
            max_lifetime_value=money("max_lifetime_value"),
            size_category=str(raw.get("size_category") or "").strip(),
            size=str(raw.get("size") or "").strip()[:10],
            brand=str(raw.get("brand") or "").strip()[:120],
        )
        if criteria.size and criteria.size_category not in SizeCategory.values:
            errors["size_category"] = "Say which kind of size (tops, shoes...)."
        if errors:
            raise ValidationError(errors)
        return criteria

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("min_lifetime_value", "max_lifetime_value"):
            data[name] = str(data[name]) if data[name] is not None else None
        data["tiers"] = list(self.tiers)
        return data


def customers_matching(*, by: User, store: Store, criteria: BulkCriteria) -> QuerySet[Customer]:
    """The store's customers the manager may see that match every given criterion."""
    customers = customers_in_stores_of(by).filter(preferred_store=store)
    now = timezone.now()
    if criteria.tiers:
        customers = customers.filter(tier__in=criteria.tiers)
    if criteria.not_seen_days:
        since = now - timedelta(days=criteria.not_seen_days)
        customers = customers.filter(
            Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=since),
            Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=since),
        )
    if criteria.last_purchase_within_days:
        since = now - timedelta(days=criteria.last_purchase_within_days)
        customers = customers.filter(last_purchase_at__gte=since)
    if criteria.min_lifetime_value is not None:
        customers = customers.filter(lifetime_value__gte=criteria.min_lifetime_value)
    if criteria.max_lifetime_value is not None:
        customers = customers.filter(lifetime_value__lte=criteria.max_lifetime_value)
    if criteria.size:
        customers = customers.filter(
            Exists(
                CustomerSize.objects.filter(
                    customer=OuterRef("pk"),
                    category=criteria.size_category,
                    size__iexact=criteria.size,
                )
            )
        )
    if criteria.brand:
        customers = customers.filter(
            Exists(
                CustomerPreference.objects.filter(
                    customer=OuterRef("pk"), kind=PreferenceKind.BRAND, value__iexact=criteria.brand
                )
            )
        )
    return customers


def _already_followed(store: Store) -> Exists:
    return Exists(
        FollowUp.objects.filter(customer=OuterRef("pk"), store=store, status__in=ACTIVE_STATUSES)
    )


# --- Fair shares ----------------------------------------------------------------------------


def open_loads(store: Store, assignee_ids: list[int]) -> dict[int, int]:
    """Each person's open follow-ups at the store now (one query)."""
    counted = dict(
        FollowUp.objects.filter(
            store=store, assignee_id__in=assignee_ids, status__in=ACTIVE_STATUSES
        )
        .values("assignee_id")
        .annotate(open=Count("pk"))
        .values_list("assignee_id", "open")
    )
    return {pk: counted.get(pk, 0) for pk in assignee_ids}


def spread(count: int, loads: dict[int, int]) -> list[int]:
    """Who gets each of ``count`` new follow-ups: always whoever has the fewest open now
    (ties in the order the manager listed them), so loads even out before they grow together."""
    queue = [(load, order, pk) for order, (pk, load) in enumerate(loads.items())]
    heapq.heapify(queue)
    shares = []
    for _ in range(count):
        load, order, pk = heapq.heappop(queue)
        shares.append(pk)
        heapq.heappush(queue, (load + 1, order, pk))
    return shares


# --- Preview and create ---------------------------------------------------------------------


@dataclass
class BulkPreview:
    store: Store
    criteria: BulkCriteria
    matched: int
    already_followed: int
    assignees: list[User]
    loads_before: dict[int, int]
    new_per_assignee: dict[int, int]
    sample: list[Customer] = field(default_factory=list)

    @property
    def to_create(self) -> int:
        return self.matched - self.already_followed

    @property
    def needs_confirmation(self) -> bool:
        return self.to_create > CONFIRM_ABOVE

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "assignee": person,
                "open_now": self.loads_before[person.pk],
                "new": self.new_per_assignee.get(person.pk, 0),
            }
            for person in self.assignees
        ]


def _store_managed(by: User, store_id: int) -> Store:
    store = managed_stores(by).filter(pk=store_id).first()
    if store is None:
        raise ValidationError({"store": gettext("Choose a store you manage.")})
    return store


def _assignees(store: Store, assignee_ids: list[int]) -> list[User]:
    wanted = list(dict.fromkeys(assignee_ids))
    if not wanted:
        raise ValidationError(
            {"assignees": gettext("Choose at least one person to share them among.")}
        )
    found = {person.pk: person for person in staff_of_store(store).filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise ValidationError(
            {"assignees": gettext("Choose people who work at %(name)s.") % {"name": store.name}}
        )
    return [found[pk] for pk in wanted]


def bulk_preview(
    *, by: User, store_id: int, criteria: BulkCriteria, assignee_ids: list[int]
) -> BulkPreview:
    """What a bulk assignment would create, without creating anything."""
    store = _store_managed(by, store_id)
    assignees = _assignees(store, assignee_ids)
    matching = customers_matching(by=by, store=store, criteria=criteria)
    counts = matching.aggregate(
        matched=Count("pk"), followed=Count("pk", filter=Q(_already_followed(store)))
    )
    loads = open_loads(store, [person.pk for person in assignees])
    to_create = counts["matched"] - counts["followed"]
    sample = list(matching.exclude(_already_followed(store)).order_by("pk")[:SAMPLE_SIZE])
    return BulkPreview(
        store=store,
        criteria=criteria,
        matched=counts["matched"],
        already_followed=counts["followed"],
        assignees=assignees,
        loads_before=loads,
        new_per_assignee=dict(Counter(spread(to_create, loads))),
        sample=sample,
    )


def bulk_assign(
    *,
    by: User,
    store_id: int,
    criteria: BulkCriteria,
    assignee_ids: list[int],
    due_on: date,
    reason: str,
    reason_text: str = "",
    priority: int = Priority.NORMAL,
    confirmed: bool = False,
) -> BulkAssignment:
    """Create the follow-ups the preview showed, all or none."""
    if reason not in Reason.values:
        raise ValidationError(
            {
                "reason": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(Reason.values)}
            }
        )
    if reason == Reason.OTHER and not reason_text.strip():
        raise ValidationError(
            {"reason_text": gettext("Say in a few words what the follow-ups are for.")}
        )
    if priority not in Priority.values:
        raise ValidationError({"priority": gettext("Choose high, normal or low.")})
    store = _store_managed(by, store_id)
    assignees = _assignees(store, assignee_ids)
    today = store_today(store)
    if not today <= due_on <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(
            {"due_on": gettext("Choose today or a later day within the next year.")}
        )
    with transaction.atomic():
        # Locking the people's assignments would not stop a single follow-up being created
        # meanwhile; the loads are a fair-share guide, not an invariant.
        customer_ids = list(
            customers_matching(by=by, store=store, criteria=criteria)
            .exclude(_already_followed(store))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not customer_ids:
            raise ValidationError(
                {"criteria": gettext("This filter matches nobody without an open follow-up here.")}
            )
        if len(customer_ids) > CONFIRM_ABOVE and not confirmed:
            message = (
                f"This creates {len(customer_ids):,} follow-ups (more than {CONFIRM_ABOVE:,}): "
                "narrow the filter, or confirm."
            )
            raise ValidationError({"confirmed": ValidationError(message, code="confirm")})
        loads = open_loads(store, [person.pk for person in assignees])
        shares = spread(len(customer_ids), loads)
        batch = BulkAssignment.objects.create(
            store=store,
            created_by=by,
            criteria=criteria.as_json(),
            reason=reason,
            reason_text=reason_text.strip(),
            due_on=due_on,
            created_count=len(customer_ids),
        )
        FollowUp.objects.bulk_create(
            (
                FollowUp(
                    customer_id=customer_id,
                    store=store,
                    assignee_id=assignee_id,
                    created_by=by,
                    due_on=due_on,
                    reason=reason,
                    reason_text=reason_text.strip(),
                    priority=priority,
                    bulk_assignment=batch,
                )
                for customer_id, assignee_id in zip(customer_ids, shares, strict=True)
            ),
            batch_size=INSERT_BATCH,
        )
        _record_for_batch(
            batch,
            kind=EventKind.CREATED,
            by=by,
            status=Status.OPEN,
            data={"due_on": due_on.isoformat(), "reason": reason, "bulk_assignment": batch.pk},
        )
        per_person = Counter(shares)
        for person in assignees:
            count = per_person[person.pk]
            if count and person.pk != by.pk:
                notification_create(
                    kind="followup.assigned",
                    recipients=to_staff(person),
                    title=f"{count} new follow-ups",
                    body=f"{_in_english(batch.get_reason_display())}, due {due_on:%a %-d %b}.",
                    link="/",
                    store=store,
                    dedupe_key=f"bulk-{batch.pk}-{person.pk}",
                )
    return batch


def _record_for_batch(
    batch: BulkAssignment, *, kind: str, by: User, status: str, data: dict[str, str | int]
) -> None:
    """One history entry for each of the batch's follow-ups in ``status`` (with its assignee
    and ``data``), written by the database in one INSERT ... SELECT: building 10,000 Python
    objects for it cost seconds. CAST, not ``::``, so that SQLite reads it too."""
    build = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    pairs, values = ["'assignee', assignee_id"], []
    for key, value in data.items():
        kind_of = "BIGINT" if isinstance(value, int) else "TEXT"
        pairs.append(f"CAST(%s AS TEXT), CAST(%s AS {kind_of})")
        values += [key, value]
    events, followups = FollowUpEvent._meta.db_table, FollowUp._meta.db_table
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} (followup_id, kind, by_id, at, data) "  # noqa: S608
            f"SELECT id, %s, %s, %s, {build}({', '.join(pairs)}) FROM {followups} "
            "WHERE bulk_assignment_id = %s AND status = %s",
            [kind, by.pk, at, *values, batch.pk, status],
        )


def bulk_assignments_visible_to(user: User) -> QuerySet[BulkAssignment]:
    return BulkAssignment.objects.filter(store__in=managed_stores(user).values("pk"))


def bulk_assignment_shares(*, batch: BulkAssignment) -> list[dict[str, Any]]:
    """Per person: how many of the assignment's follow-ups they have, and in which state."""
    rows = (
        batch.followups.values("assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status__in=ACTIVE_STATUSES)),
            done=Count("pk", filter=Q(status=Status.DONE)),
        )
        .order_by("assignee__first_name", "assignee__username")
    )
    return [
        {
            "name": " ".join(
                part for part in (row["assignee__first_name"], row["assignee__last_name"]) if part
            )
            or row["assignee__username"],
            "total": row["total"],
            "open": row["open"],
            "done": row["done"],
        }
        for row in rows
    ]


def bulk_assignment_undo(*, by: User, bulk_id: int) -> int:
    """Cancel what is still open of the assignment; done and snoozed follow-ups stay (someone
    has worked on them). Returns how many were cancelled. Undone once."""
    with transaction.atomic():
        batch = bulk_assignments_visible_to(by).select_for_update().get(pk=bulk_id)
        if batch.undone_at is not None:
            raise ValidationError({"bulk": gettext("This bulk assignment was undone already.")})
        # Locked first: nobody completes one of them between its history entry and its update.
        still_open = batch.followups.filter(status=Status.OPEN)
        list(still_open.select_for_update().values_list("pk", flat=True))
        _record_for_batch(
            batch,
            kind=EventKind.CANCELLED,
            by=by,
            status=Status.OPEN,
            data={"reason": "bulk assignment undone", "bulk_assignment": batch.pk},
        )
        cancelled = still_open.update(status=Status.CANCELLED, updated_at=timezone.now())
        batch.undone_at, batch.undone_by = timezone.now(), by
        batch.save(update_fields=["undone_at", "undone_by"])
    return cancelled


def _in_english(label: object) -> str:
    """A choice's label as stored text: in the brand's language, as the notification's other
    words are, whichever store's manager made the batch."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)
