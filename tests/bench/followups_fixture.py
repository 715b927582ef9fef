"""The follow-up benchmarks' data: one store, a manager and 100 associates, 200,000 open
follow-ups over 100,000 customers, three weeks of done ones, and 10,000 VIPs nobody follows up
yet (the bulk assignment's target).

Everything it creates is named ``bench-fu-...`` / ``BFU...`` so that it can tell its own rows
from anything else in the benchmark database, reuse them when they are complete, and start over
when a previous load was interrupted. Rows are written with COPY.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from frontline.customers.models import Customer
from frontline.followups.models import BulkAssignment, FollowUp, FollowUpEvent
from frontline.followups.selectors import store_today
from frontline.staff.models import StaffRole, Store, StoreAssignment, User

STORE_CODE = "bench-fu-store"
USER_PREFIX = "bench-fu-"
NUMBER_PREFIX = "BFU"


@dataclass(frozen=True)
class Sizes:
    associates: int
    customers: int  # customers with follow-ups
    open_followups: int
    done_followups: int
    bulk_targets: int  # VIPs without a follow-up, for the bulk assignment


def sizes(scale: str) -> Sizes:
    if scale == "full":
        return Sizes(100, 100_000, 200_000, 30_000, 10_000)
    return Sizes(10, 5_000, 10_000, 1_500, 1_000)


@dataclass(frozen=True)
class FollowUpsData:
    """The benchmarks' declaration of this fixture (see tests/bench/datasets.py)."""

    seed: int = 22

    def describe(self, scale: str) -> str:
        size = sizes(scale)
        return (
            f"the follow-ups fixture ({size.associates} associates, "
            f"{size.open_followups:,} open follow-ups over {size.customers:,} customers, "
            f"{size.bulk_targets:,} VIPs without one)"
        )

    def missing(self, scale: str) -> str | None:
        if connection.vendor != "postgresql":
            return "the benchmarks' data is prepared on PostgreSQL only"
        if _is_complete(sizes(scale)):
            return None
        return "it is not complete (never loaded, flushed since, or a load stopped half-way)"

    def prepare(self, scale: str) -> None:
        _remove()
        _load(sizes(scale), random.Random(self.seed))


FOLLOWUPS = FollowUpsData()


@dataclass(frozen=True)
class FollowUpsBench:
    store: Store
    manager: User
    associates: list[User]


def loaded() -> FollowUpsBench:
    store = Store.objects.get(code=STORE_CODE)
    people = User.objects.filter(username__startswith=USER_PREFIX).order_by("username")
    return FollowUpsBench(
        store=store,
        manager=people.get(username=f"{USER_PREFIX}manager"),
        associates=list(people.exclude(username=f"{USER_PREFIX}manager")),
    )


def _is_complete(size: Sizes) -> bool:
    store = Store.objects.filter(code=STORE_CODE).first()
    if store is None:
        return False
    associates = StoreAssignment.objects.filter(store=store, role=StaffRole.ASSOCIATE).count()
    followups = FollowUp.objects.filter(store=store, bulk_assignment__isnull=True)
    return (
        associates == size.associates
        and followups.filter(status="open").count() == size.open_followups
        and followups.filter(status="done").count() == size.done_followups
        # Loaded before done follow-ups had a completion day: load again.
        and not followups.filter(status="done", completed_on__isnull=True).exists()
        and Customer.objects.filter(number__startswith=NUMBER_PREFIX).count()
        == size.customers + size.bulk_targets
    )


def _remove() -> None:
    with transaction.atomic():
        store = Store.objects.filter(code=STORE_CODE).first()
        if store is not None:
            FollowUpEvent.objects.filter(followup__store=store).delete()
            FollowUp.objects.filter(store=store).delete()
            BulkAssignment.objects.filter(store=store).delete()
        Customer.objects.filter(number__startswith=NUMBER_PREFIX).delete()
        StoreAssignment.objects.filter(user__username__startswith=USER_PREFIX).delete()
        User.objects.filter(username__startswith=USER_PREFIX).delete()
        if store is not None:
            store.delete()


def _copy(cursor: object, statement: str, rows: io.StringIO) -> None:
    rows.seek(0)
    with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
        copy.write(rows.getvalue())


def _load(size: Sizes, rng: random.Random) -> None:
    now = timezone.now()
    with transaction.atomic():
        store = Store.objects.create(code=STORE_CODE, name="Bench follow-ups store")
        today = store_today(store)
        password = make_password(None)
        manager = User.objects.create(username=f"{USER_PREFIX}manager", password=password)
        StoreAssignment.objects.create(
            user=manager, store=store, role=StaffRole.MANAGER, is_primary=True
        )
        associates = User.objects.bulk_create(
            User(
                username=f"{USER_PREFIX}associate-{number:03d}",
                first_name="Associate",
                last_name=f"{number:03d}",
                password=password,
            )
            for number in range(size.associates)
        )
        StoreAssignment.objects.bulk_create(
            StoreAssignment(user=person, store=store, role=StaffRole.ASSOCIATE, is_primary=True)
            for person in associates
        )
        with connection.cursor() as cursor:
            rows = io.StringIO()
            stamp = now.isoformat()
            total = size.customers + size.bulk_targets
            for number in range(total):
                target = number >= size.customers
                tier = "vip" if target else rng.choice(["member", "silver", "gold"])
                adviser = associates[number % len(associates)].pk
                seen = (now - timedelta(days=rng.randint(1, 400))).isoformat()
                rows.write(
                    f"{NUMBER_PREFIX}{number:08d}\tBench\tCustomer {number}\t\t\t\t\t{tier}\t"
                    f"{store.pk}\t{adviser}\t{rng.randint(0, 9000)}.00\t{rng.randint(0, 30)}\t"
                    f"{seen}\t{stamp}\t{stamp}\n"
                )
            _copy(
                cursor,
                "COPY customers_customer (number, first_name, last_name, email, phone, "
                "postcode, country, tier, preferred_store_id, preferred_associate_id, "
                "lifetime_value, order_count, last_visit_at, created_at, updated_at) FROM STDIN",
                rows,
            )
            customer_ids = list(
                Customer.objects.filter(
                    number__startswith=NUMBER_PREFIX, tier__in=["member", "silver", "gold"]
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            rows = io.StringIO()
            for number in range(size.open_followups + size.done_followups):
                customer_id = customer_ids[number % len(customer_ids)]
                assignee = associates[number % len(associates)].pk
                if number < size.open_followups:
                    due_on = today + timedelta(days=rng.randint(-30, 30))
                    rows.write(
                        f"{customer_id}\t{store.pk}\t{assignee}\t{manager.pk}\t{due_on}\t"
                        f"new_arrivals\t\t2\topen\t\t\t\t\\N\t\\N\t\\N\t{stamp}\t{stamp}\tf\n"
                    )
                else:
                    due_on = today - timedelta(days=rng.randint(1, 25))
                    late = rng.choice([0, 0, 1, 3])
                    done_on = due_on + timedelta(days=late)
                    done_at = (now - timedelta(days=(today - done_on).days)).isoformat()
                    outcome = rng.choice(["reached", "no_answer", "purchase", "left_message"])
                    rows.write(
                        f"{customer_id}\t{store.pk}\t{assignee}\t{manager.pk}\t{due_on}\t"
                        f"thank_you\t\t2\tdone\t{outcome}\t\t\t{done_at}\t{done_on}\t{late}\t{stamp}\t{stamp}\t"
                        f"{'t' if rng.random() < 0.1 else 'f'}\n"
                    )
            _copy(
                cursor,
                "COPY followups_followup (customer_id, store_id, assignee_id, created_by_id, "
                "due_on, reason, reason_text, priority, status, outcome, note, snooze_reason, "
                "completed_at, completed_on, days_late, created_at, updated_at, purchased_after) "
                "FROM STDIN",
                rows,
            )
            for table in ("customers_customer", "followups_followup", "staff_user"):
                cursor.execute(f"ANALYZE {table}")
