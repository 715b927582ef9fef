"""The demo's follow-ups: a working day for every member of staff, and a few weeks of history.

Each person at each store gets follow-ups for customers of their store (their own book first):
some overdue, some due today, some in the week ahead, and a few weeks of done ones with
outcomes and lateness, so that "my day" and the team board show what they are for from the
first sign-in. Deterministic for a seed and a day, like the rest of the demo.

Written after the customers are loaded, in the same transaction, with the ORM: a few hundred
rows per store, whatever the number of customers. The done follow-ups keep their note on the
follow-up itself; the demo writes no timeline entries for them (the timeline's rows are the
generated history the demo's checksum covers).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from frontline.customers.models import Customer
from frontline.followups.models import (
    EventKind,
    FollowUp,
    FollowUpEvent,
    Outcome,
    Priority,
    Reason,
    Status,
)
from frontline.followups.services import followup_assignee_tell
from frontline.staff.models import Store, StoreAssignment, User

# (how many, first day offset, last day offset) of open follow-ups per person.
OPEN_PLAN = [(2, -6, -1), (3, 0, 0), (4, 1, 7)]
DONE_PER_PERSON = 8  # over the last 21 days
ANNOUNCED_MAX = 60  # notifications of today's follow-ups, at most (a few a person)
TEMPLATES = [
    (Reason.THANK_YOU, "for the last purchase"),
    (Reason.NEW_ARRIVALS, "the new season's knitwear"),
    (Reason.EVENT_INVITE, "winter preview evening"),
    (Reason.CHECK_IN, "not seen for a while"),
    (Reason.SERVICE_RECOVERY, "late delivery"),
    (Reason.OCCASION, "birthday soon"),
]
OUTCOMES = [
    (Outcome.REACHED, "Happy with the coat; will pop in on Saturday."),
    (Outcome.LEFT_MESSAGE, "Left a voicemail about the new arrivals."),
    (Outcome.NO_ANSWER, ""),
    (Outcome.APPOINTMENT_BOOKED, "Styling session booked."),
    (Outcome.PURCHASE, "Bought the matching scarf."),
    (Outcome.NOT_INTERESTED, "Not shopping this season."),
]


def _moment(day: date, hour: int, zone: object) -> datetime:
    local = datetime.combine(day, time(hour), tzinfo=zone)  # type: ignore[arg-type]
    return local.astimezone(UTC)


def demo_followups_create(*, seed: int, today: date, stores: list[Store]) -> int:
    """Follow-ups for everyone at the given stores; returns how many were written."""
    rng = random.Random(f"frontline-demo:followups:{seed}")
    written = 0
    for store in stores:
        people = list(
            User.objects.filter(
                pk__in=StoreAssignment.objects.filter(store=store).values("user_id")
            ).order_by("username")
        )
        pool = list(
            Customer.objects.filter(preferred_store=store, merged_into__isnull=True)
            .order_by("pk")
            .values_list("pk", "preferred_associate_id")[:5000]
        )
        if not people or not pool:
            continue
        for person in people:
            own = [pk for pk, adviser in pool if adviser == person.pk]
            others = [pk for pk, adviser in pool if adviser != person.pk]
            needed = sum(count for count, _, _ in OPEN_PLAN) + DONE_PER_PERSON
            chosen = (rng.sample(own, min(len(own), needed // 2)) if own else []) + rng.sample(
                others, min(len(others), needed)
            )
            written += _person_followups(rng, store, person, chosen[:needed], today)
    return written


def _person_followups(
    rng: random.Random, store: Store, person: User, customer_ids: list[int], today: date
) -> int:
    zone = store.time_zone
    manager = (
        StoreAssignment.objects.filter(store=store, role="manager").values_list(
            "user_id", flat=True
        )
    ).first()
    plans: list[tuple[FollowUp, list[tuple[str, datetime, dict[str, object]]]]] = []

    def planned(
        customer_id: int, due_on: date, created: datetime, reason: str, detail: str, **more: object
    ) -> FollowUp:
        return FollowUp(
            customer_id=customer_id,
            store=store,
            assignee=person,
            created_by_id=manager,
            due_on=due_on,
            reason=reason,
            reason_text=detail,
            priority=Priority.HIGH if reason == Reason.SERVICE_RECOVERY else Priority.NORMAL,
            created_at=created,
            **more,
        )

    ids = iter(customer_ids)
    for count, first, last in OPEN_PLAN:
        for _ in range(count):
            customer_id = next(ids, None)
            if customer_id is None:
                break
            reason, detail = rng.choice(TEMPLATES)
            due_on = today + timedelta(days=rng.randint(first, last))
            created = _moment(min(due_on, today) - timedelta(days=rng.randint(2, 10)), 9, zone)
            followup = planned(customer_id, due_on, created, reason, detail)
            plans.append((followup, [(EventKind.CREATED, created, {"assignee": person.pk})]))
    for _ in range(DONE_PER_PERSON):
        customer_id = next(ids, None)
        if customer_id is None:
            break
        reason, detail = rng.choice(TEMPLATES)
        due_on = today - timedelta(days=rng.randint(1, 21))
        done_on = min(today, due_on + timedelta(days=rng.choice([0, 0, 0, 1, 2, 4])))
        outcome, note = rng.choice(OUTCOMES)
        created = _moment(due_on - timedelta(days=rng.randint(2, 10)), 9, zone)
        completed = _moment(done_on, rng.randint(10, 17), zone)
        followup = planned(
            customer_id,
            due_on,
            created,
            reason,
            detail,
            status=Status.DONE,
            outcome=outcome,
            note=note,
            completed_at=completed,
            completed_on=done_on,
            days_late=(done_on - due_on).days,
        )
        plans.append(
            (
                followup,
                [
                    (EventKind.CREATED, created, {"assignee": person.pk}),
                    (EventKind.COMPLETED, completed, {"outcome": outcome, "note": note}),
                ],
            )
        )
    created_rows = FollowUp.objects.bulk_create([followup for followup, _ in plans])
    FollowUpEvent.objects.bulk_create(
        FollowUpEvent(
            followup_id=_pk_of(row),
            kind=kind,
            by_id=manager if kind == EventKind.CREATED else person.pk,
            at=at,
            data=data,
        )
        for row, (_, events) in zip(created_rows, plans, strict=True)
        for kind, at, data in events
    )
    return len(created_rows)


def demo_followups_announce(*, stores: list[Store], today: date) -> int:
    """Tell each person of the follow-ups due today that their manager gave them, as planning
    one tells them, so that the demo's notification centre and badge have something to show."""
    told = 0
    due_today = FollowUp.objects.filter(
        store__in=stores, due_on=today, status=Status.OPEN
    ).select_related("customer", "assignee", "store", "created_by")
    for followup in due_today.order_by("pk")[:ANNOUNCED_MAX]:
        event = followup.history.filter(kind=EventKind.CREATED).order_by("pk").first()
        if event is not None and followup_assignee_tell(followup, event, by=followup.created_by):
            told += 1
    return told


def _pk_of(row: FollowUp) -> int:
    assert row.pk is not None, "bulk_create returns ids on PostgreSQL and SQLite 3.35+"
    return int(row.pk)
