"""Reads of the follow-ups domain, always scoped to the staff member asking.

``followups_visible_to`` decides what anyone sees: the follow-ups of their stores (through the
staff scoping helper). Associates see their store's follow-ups read-only; what each may
*change* is decided by the services. A follow-up outside the stores is "not found".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from frontline.core.batching import PreparedBatch, prepared_models
from frontline.followups.models import (
    ACTIVE_STATUSES,
    REACHED_OUTCOMES,
    FollowUp,
    FollowUpEvent,
    FollowUpTally,
    Status,
)
from frontline.staff.models import StaffRole, Store, StoreAssignment, User
from frontline.staff.selectors import is_manager_of, stores_for

# How far ahead "upcoming" looks, and how many rows each section of the day shows at most
# (the counts are always the full ones): a day's work, not a backlog to scroll through.
UPCOMING_DAYS = 7
SECTION_LIMIT = 10
SECTIONS = ("overdue", "today", "upcoming")
# The window of the team board's rates and outcomes: the last 30 store days.
BOARD_WINDOW_DAYS = 30


def store_today(store: Store, now: datetime | None = None) -> date:
    """Today's date at the store (follow-ups are due on store-local days)."""
    return timezone.localtime(now or timezone.now(), store.time_zone).date()


def followups_visible_to(user: User) -> QuerySet[FollowUp]:
    followups = FollowUp.objects.all()
    if user.is_superuser:
        return followups
    return followups.filter(store__in=stores_for(user).values("pk"))


def followup_get(*, user: User, followup_id: int) -> FollowUp:
    followup = (
        followups_visible_to(user)
        .select_related("customer", "store", "assignee", "created_by")
        .filter(pk=followup_id)
        .first()
    )
    if followup is None:
        raise Http404(gettext("No such follow-up among the ones you may see."))
    return followup


def action_source_key(outcome_id: int) -> str:
    """The ``source_key`` of the follow-up planned when an associate accepted an action."""
    return f"action-outcome:{outcome_id}"


def followup_for_accepted_action(*, user: User, outcome_id: int) -> FollowUp | None:
    """The follow-up that accepting the action planned, if any (none for a head-office user
    with no day to put it on)."""
    return followups_visible_to(user).filter(source_key=action_source_key(outcome_id)).first()


def followup_history(*, followup: FollowUp) -> QuerySet[FollowUpEvent]:
    return followup.history.select_related("by").order_by("at", "pk")


def followups_for_customer(*, user: User, customer_id: int) -> QuerySet[FollowUp]:
    """The customer's follow-ups at the staff member's stores: active first, by day."""
    return (
        followups_visible_to(user)
        .filter(customer_id=customer_id)
        .select_related("assignee", "store")
        .order_by("completed_at", "due_on", "priority", "pk")  # NULLs (active) first on both
    )


def may_change(user: User, followup: FollowUp) -> dict[str, bool]:
    """What the staff member may do to the follow-up, for the buttons a page shows."""
    manager = is_manager_of(user, followup.store)
    mine = followup.assignee_id == user.pk
    active = followup.is_active
    return {
        "work": active and mine,
        "manage": active and manager,
        "cancel": active and (manager or (followup.created_by_id == user.pk and mine)),
    }


def staff_of_store(store: Store) -> QuerySet[User]:
    """Who may be given a follow-up at the store: its active staff, by name."""
    return User.objects.filter(
        is_active=True,
        pk__in=StoreAssignment.objects.filter(store=store).values("user_id"),
    ).order_by("first_name", "last_name", "username")


def managed_stores(user: User) -> QuerySet[Store]:
    if user.is_superuser:
        return Store.objects.all()
    return Store.objects.filter(
        assignments__user=user, assignments__role=StaffRole.MANAGER
    ).distinct()


# --- My day ---------------------------------------------------------------------------------


@dataclass
class Section:
    rows: list[FollowUp]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


@dataclass
class MyDay:
    overdue: Section
    today: Section
    upcoming: Section
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_followups(self) -> bool:
        return bool(self.overdue.count or self.today.count or self.upcoming.count)


def _day_conditions(days: list[tuple[int, date]]) -> tuple[Q, Q, Q]:
    """Overdue, today and upcoming as conditions per store: each store has its own "today"
    (``days`` holds each store's id and today there)."""
    overdue, today, upcoming = Q(pk__in=[]), Q(pk__in=[]), Q(pk__in=[])
    for store_id, day in days:
        overdue |= Q(store_id=store_id, due_on__lt=day)
        today |= Q(store_id=store_id, due_on=day)
        upcoming |= Q(
            store_id=store_id, due_on__gt=day, due_on__lte=day + timedelta(days=UPCOMING_DAYS)
        )
    return overdue, today, upcoming


def _store_days(user: User, now: datetime | None) -> list[tuple[int, date]]:
    return [(store.pk, store_today(store, now)) for store in stores_for(user)]


def _mine_by_section(
    user_id: int, days: list[tuple[int, date]]
) -> tuple[QuerySet[FollowUp], dict[str, Q]]:
    mine = FollowUp.objects.filter(assignee_id=user_id, status__in=ACTIVE_STATUSES)
    return mine, dict(zip(SECTIONS, _day_conditions(days), strict=True))


# The day's queries are compiled once per number of stores (frontline.core.batching), with
# values no real staff id, store id or date takes standing in for the real ones.
_USER_STAND_IN = -7_777_777_731


def _day_stand_ins(store_count: int) -> dict[str, Any]:
    stand_ins: dict[str, Any] = {"user_id": _USER_STAND_IN}
    for number in range(store_count):
        day = date(1901, 1, 1) + timedelta(days=30 * number)
        stand_ins[f"store_{number}"] = -7_777_777_740 - number
        stand_ins[f"day_{number}"] = day
        stand_ins[f"week_end_{number}"] = day + timedelta(days=UPCOMING_DAYS)
    return stand_ins


def _day_values(user: User, days: list[tuple[int, date]]) -> dict[str, Any]:
    values: dict[str, Any] = {"user_id": user.pk}
    for number, (store_id, day) in enumerate(days):
        values[f"store_{number}"] = store_id
        values[f"day_{number}"] = day
        values[f"week_end_{number}"] = day + timedelta(days=UPCOMING_DAYS)
    return values


def _without_week_ends(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if not name.startswith("week_end_")}


def _days_of(values: dict[str, Any], store_count: int) -> list[tuple[int, date]]:
    return [(values[f"store_{n}"], values[f"day_{n}"]) for n in range(store_count)]


def _day_counts(store_count: int, **values: Any) -> QuerySet[Any]:
    """The three sections' counts: one row, or none when the day is empty."""
    mine, conditions = _mine_by_section(values["user_id"], _days_of(values, store_count))
    counts = {name: Count("pk", filter=condition) for name, condition in conditions.items()}
    return mine.values("assignee_id").annotate(**counts).order_by()


def _day_section(section: str, store_count: int, **values: Any) -> QuerySet[FollowUp]:
    mine, conditions = _mine_by_section(values["user_id"], _days_of(values, store_count))
    ordered = mine.filter(conditions[section]).select_related("customer")
    return ordered.order_by("due_on", "priority", "pk")[:SECTION_LIMIT]


@functools.cache
def _day_counts_statement(store_count: int) -> PreparedBatch:
    stand_ins = _day_stand_ins(store_count)
    return PreparedBatch({"counts": _day_counts(store_count, **stand_ins)}, stand_ins)


def my_day(*, user: User, now: datetime | None = None) -> MyDay:
    """The staff member's active follow-ups: overdue, due today and the week ahead.

    A fixed number of queries whatever the number of follow-ups: the stores, one count query,
    and one short page of rows per section (the rest is a tap away, ``my_section``). Read on
    every home screen, so on PostgreSQL each is compiled once (``PreparedBatch``,
    ``prepared_models``): building the SQL cost more than running it.
    """
    days = _store_days(user, now)
    if not days:  # no store, no day: nothing could be due anywhere
        return MyDay(overdue=Section([], 0), today=Section([], 0), upcoming=Section([], 0))
    values = _day_values(user, days)
    if connection.vendor == "postgresql":
        rows = _day_counts_statement(len(days)).run(**values)["counts"]
    else:
        rows = list(_day_counts(len(days), **values))
    counts = rows[0] if rows else {}

    def section(name: str) -> Section:
        if not counts.get(name):
            return Section([], 0)
        # Only the upcoming section's SQL reads the end of the week.
        used = values if name == "upcoming" else _without_week_ends(values)
        stand_ins = _day_stand_ins(len(days))
        if name != "upcoming":
            stand_ins = _without_week_ends(stand_ins)
        found = prepared_models(_day_section, name, len(days), stand_ins=stand_ins, **used)
        return Section(found, counts[name])

    return MyDay(overdue=section("overdue"), today=section("today"), upcoming=section("upcoming"))


def my_section(*, user: User, section: str, now: datetime | None = None) -> QuerySet[FollowUp]:
    """All of one section of the staff member's day, in the order the day shows them."""
    mine, conditions = _mine_by_section(user.pk, _store_days(user, now))
    if section not in conditions:
        raise Http404(gettext("No such part of the day."))
    return (
        mine.filter(conditions[section])
        .select_related("customer")
        .order_by("due_on", "priority", "pk")
    )


# --- The team board -------------------------------------------------------------------------


@dataclass(frozen=True)
class AssociateFigures:
    user: User
    open: int
    due_today: int
    overdue: int
    done_this_week: int
    done_recently: int  # in the last 30 store days
    average_days_late: float | None
    reached: int
    purchase_within_14_days: int

    @property
    def completion_rate(self) -> float | None:
        """Of the work that came due (done in the window, or overdue now), the share done."""
        came_due = self.done_recently + self.overdue
        if not came_due:
            return None
        return round(self.done_recently / came_due, 3)


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _board_rows(store: Store, today: date) -> QuerySet[Any]:
    """Per assignee: the board's sums, from the tally (PostgreSQL) or the follow-ups.

    On PostgreSQL triggers keep ``FollowUpTally`` (migration 0004): a few thousand rows a
    store instead of every follow-up, so the board's time does not grow with the number of
    follow-ups. Elsewhere the same figures are counted from the follow-ups themselves.
    """
    measure: Callable[[Q], Aggregate]
    if connection.vendor == "postgresql":
        source: QuerySet[Any] = FollowUpTally.objects.filter(store=store)
        late_field = "days_late_sum"
        reached = Q(reached=True)

        def measure(condition: Q) -> Aggregate:
            return Sum("count", filter=condition, default=0)

    else:
        source = FollowUp.objects.filter(store=store)
        late_field = "days_late"
        reached = Q(outcome__in=REACHED_OUTCOMES)

        def measure(condition: Q) -> Aggregate:
            return Count("pk", filter=condition)

    active = Q(status__in=ACTIVE_STATUSES)
    done = Q(status=Status.DONE)
    recent = done & Q(completed_on__gte=today - timedelta(days=BOARD_WINDOW_DAYS))
    return (
        source.filter(active | recent)
        .values("assignee_id")
        .annotate(
            open=measure(active),
            due_today=measure(active & Q(due_on=today)),
            overdue=measure(active & Q(due_on__lt=today)),
            done_this_week=measure(done & Q(completed_on__gte=_week_start(today))),
            done_recently=measure(recent),
            days_late=Sum(late_field, filter=recent),
            reached=measure(recent & reached),
            purchase=measure(recent & Q(purchased_after=True)),
        )
        .order_by()
    )


def team_board(*, user: User, store: Store, now: datetime | None = None) -> list[AssociateFigures]:
    """Per staff member of the store, the figures of their follow-ups at this store.

    Two queries whatever the number of follow-ups: the staff, and one grouped aggregate.
    Raises Http404 unless the user manages the store.
    """
    if not is_manager_of(user, store):
        raise Http404(gettext("No such store among the ones you manage."))
    today = store_today(store, now)
    figures = {row["assignee_id"]: row for row in _board_rows(store, today)}
    board = []
    for person in staff_of_store(store):
        row: dict[str, Any] = dict(figures.get(person.pk, {}))
        done_recently = row.get("done_recently", 0)
        board.append(
            AssociateFigures(
                user=person,
                open=row.get("open", 0),
                due_today=row.get("due_today", 0),
                overdue=row.get("overdue", 0),
                done_this_week=row.get("done_this_week", 0),
                done_recently=done_recently,
                average_days_late=(
                    round((row.get("days_late") or 0) / done_recently, 1) if done_recently else None
                ),
                reached=row.get("reached", 0),
                purchase_within_14_days=row.get("purchase", 0),
            )
        )
    return board


def store_for_board(*, user: User, store_id: int | None) -> Store:
    """The store whose board to show: the one asked for if the user manages it, else their
    first managed store; Http404 when they manage none (or not that one)."""
    stores = managed_stores(user)
    store = stores.filter(pk=store_id).first() if store_id is not None else stores.first()
    if store is None:
        raise Http404(gettext("No such store among the ones you manage."))
    return store


def board_stores(*, user: User, store_id: int | None) -> tuple[Store, list[Store]]:
    """``store_for_board``'s store and every store the user manages (for the page's store
    picker), from one query instead of two."""
    stores = sorted(managed_stores(user), key=lambda store: store.pk)
    if store_id is not None:
        stores_asked = [store for store in stores if store.pk == store_id]
    else:
        stores_asked = stores[:1]
    if not stores_asked:
        raise Http404(gettext("No such store among the ones you manage."))
    return stores_asked[0], stores
