"""Where sync hands over to other domains: one function per hand-over.

Uncertain identity matches go to the customers domain's duplicate review, customers with new
purchases or interactions get their recommended actions refreshed, and a failed run tells the
managers. (Stock that became available wakes back-in-stock watches inside the catalog's own
landing.)
"""

from __future__ import annotations

import logging
from collections.abc import Set
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse

if TYPE_CHECKING:
    from frontline.sync.models import Run, Source

logger = logging.getLogger("frontline.sync")


def uncertain_match_record(
    *, source: Source, external_id: str, customer_id: int, candidate_ids: list[int], reason: str
) -> None:
    """A record resembled existing customers without clearly being one of them.

    The lead will point this at the customers domain's merge review queue.
    """
    from frontline.customers.tasks import detect_duplicates_task
    from frontline.sync.models import UncertainMatch

    _, created = UncertainMatch.objects.get_or_create(
        source=source,
        external_id=external_id,
        defaults={"customer_id": customer_id, "candidate_ids": candidate_ids, "reason": reason},
    )
    if created:
        # The matcher puts the pair in front of a manager (merge review queue) with its score
        # and reasons; nothing is merged without that review.
        # Robust: the record has landed either way; a broker outage must not fail the page.
        transaction.on_commit(lambda: detect_duplicates_task.delay(customer_id), robust=True)


def customers_had_activity(*, customer_ids: Set[int]) -> None:
    """Records that landed changed these customers' purchases or interactions.

    Called once per landed batch, inside its transaction: one refresh of the customers'
    recommended actions (a thank-you after a big purchase, an unresolved complaint) is queued
    for the whole set when the transaction commits, and none when it rolls back.
    """
    from frontline.actions.services import actions_refresh_for_customers_on_commit

    actions_refresh_for_customers_on_commit(customer_ids=customer_ids)


def run_failed(*, run: Run) -> None:
    """A sync run failed: logged, and every store manager is told (sources are brand-wide)."""
    from frontline.notifications.audiences import to_all_managers
    from frontline.notifications.services import notification_create

    logger.error(
        "sync run failed",
        extra={"run": run.pk, "source": run.source.name, "entity": run.entity, "error": run.error},
    )
    notification_create(
        kind="sync.run_failed",
        recipients=to_all_managers(),
        title=f"Sync of {run.entity} from {run.source.name} failed",
        body=run.error or "",
        link=reverse("sync:run", args=[run.pk]),
        dedupe_key=f"sync-run-{run.pk}-failed",
    )


def run_progressed(*, run: Run) -> None:
    """A page landed (or the run finished): the managers' open run pages are told, throttled."""
    from frontline.sync.progress import run_progress_push

    run_progress_push(run=run)
