"""A bulk assignment of 10,000 customers, shared among 100 associates by open load.

Data: tests/bench/followups_fixture.py: 10,000 VIPs of the store without a follow-up, and
200,000 open follow-ups already shared among the associates (their loads). Measured:
``bulk_assign`` as the manager (filter, fair shares, 10,000 follow-ups and their history rows,
one notification per associate, in one transaction), then its undo; after each run the
follow-ups it made are deleted so that the data is as it was. The baseline creates the same
follow-ups one by one with ``followup_insert`` (history and notification each), on a tenth of
the customers, scaled up.
Budget (issue 22): <= 5 s for 10,000 customers.
"""

from __future__ import annotations

import argparse
import statistics
import time

from django.db import transaction

from frontline.customers.criteria import CustomerCriteria
from frontline.customers.selectors import customers_in_stores_of
from frontline.followups import bulk
from frontline.followups.models import BulkAssignment, FollowUp, FollowUpEvent
from frontline.followups.selectors import store_today
from frontline.followups.services import followup_insert
from frontline.notifications.models import Notification
from tests.bench.followups_fixture import FOLLOWUPS, loaded, sizes
from tests.bench.harness import Report

DATA = FOLLOWUPS

RUNS = {"full": 3, "small": 2}


class _RolledBack(Exception):
    pass


def _clean_up(batch_ids: list[int]) -> None:
    created = FollowUp.objects.filter(bulk_assignment_id__in=batch_ids)
    FollowUpEvent.objects.filter(followup__in=created).delete()
    created.delete()
    BulkAssignment.objects.filter(pk__in=batch_ids).delete()
    Notification.objects.filter(dedupe_key__startswith="bulk-").filter(
        dedupe_key__in=[f"bulk-{pk}-{person}" for pk in batch_ids for person in _associate_ids()]
    ).delete()


def _associate_ids() -> list[int]:
    return [person.pk for person in loaded().associates]


def run(options: argparse.Namespace) -> Report:
    size = sizes(options.scale)
    bench = loaded()
    assignees = [person.pk for person in bench.associates]
    criteria = CustomerCriteria.parse({"tiers": ["vip"]})
    due_on = store_today(bench.store)
    assign_seconds, undo_seconds, batch_ids = [], [], []
    created = 0
    try:
        for _ in range(RUNS[options.scale]):
            started = time.perf_counter()
            batch = bulk.bulk_assign(
                by=bench.manager,
                store_id=bench.store.pk,
                criteria=criteria,
                assignee_ids=assignees,
                due_on=due_on,
                reason="event_invite",
                reason_text="bench",
            )
            assign_seconds.append(time.perf_counter() - started)
            batch_ids.append(batch.pk)
            created = batch.created_count
            started = time.perf_counter()
            bulk.bulk_assignment_undo(by=bench.manager, bulk_id=batch.pk)
            undo_seconds.append(time.perf_counter() - started)
            _clean_up([batch.pk])
    finally:
        _clean_up(batch_ids)

    sample = list(
        customers_in_stores_of(bench.manager)
        .filter(preferred_store=bench.store, tier="vip")
        .order_by("pk")
        .values_list("pk", flat=True)[: max(1, size.bulk_targets // 10)]
    )
    started = time.perf_counter()
    try:
        with transaction.atomic():
            in_stores = customers_in_stores_of(bench.manager).filter(pk__in=sample)
            customers = {c.pk: c for c in in_stores}
            for number, customer_id in enumerate(sample):
                followup_insert(
                    customer=customers[customer_id],
                    store=bench.store,
                    assignee=bench.associates[number % len(bench.associates)],
                    due_on=due_on,
                    reason="event_invite",
                    created_by=bench.manager,
                )
            raise _RolledBack
    except _RolledBack:
        pass
    one_by_one = (time.perf_counter() - started) * size.bulk_targets / len(sample)
    return Report(
        name="followups_bulk_assign",
        params={
            "customers": created,
            "associates": size.associates,
            "open_followups_before": size.open_followups,
            "runs": len(assign_seconds),
        },
        results={
            "seconds": round(max(assign_seconds), 3),
            "median_seconds": round(statistics.median(assign_seconds), 3),
            "undo_seconds": round(max(undo_seconds), 3),
        },
        baseline={
            "label": "followup_insert one by one (a tenth, scaled up)",
            "seconds": round(one_by_one, 3),
        },
        budget={"seconds": {"max": 5}},
        notes="seconds is the slowest of the runs; each run is undone and deleted after.",
    )
