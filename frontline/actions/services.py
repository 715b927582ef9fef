"""Writes: outcomes of suggestions, the nightly batch, the per-customer refresh.

Other domains ask for a refresh after an event that changes a customer's actions (a purchase,
a stock change for a product they want, a new interaction) with::

    from frontline.actions.services import actions_refresh_for_customer_on_commit
    actions_refresh_for_customer_on_commit(customer_id=order.customer_id)

inside their own transaction: the refresh task is queued only once that transaction commits.
Events about many customers at once (a page of synced orders) call
``actions_refresh_for_customers_on_commit(customer_ids=...)``: one task for the whole set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from frontline.actions import engine
from frontline.actions.conf import ActionSettings
from frontline.actions.models import (
    ActionBatchRun,
    ActionOutcome,
    ActionSuggestion,
    BatchStatus,
    DismissReason,
    OutcomeKind,
)
from frontline.customers.models import Customer
from frontline.customers.selectors import customers_in_stores_of
from frontline.staff.models import User

if TYPE_CHECKING:
    from frontline.catalog.models import BackInStockWatch, StockLevel

logger = logging.getLogger(__name__)

MAX_SNOOZE = timedelta(days=90)
# A run still "running" after this long was abandoned by a dead worker on an earlier night:
# tonight starts afresh rather than finishing yesterday's view of the world.
STALE_RUN_AFTER = timedelta(hours=12)


# --- Outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptResult:
    outcome: ActionOutcome
    next_url: str | None


def _claim_suggestion(*, user: User, suggestion_id: int) -> ActionSuggestion:
    """Lock the suggestion so that two taps on two tablets record one outcome, not two."""
    return (
        ActionSuggestion.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=suggestion_id, customer__in=customers_in_stores_of(user))
    )


def _record_outcome(
    *, user: User, suggestion: ActionSuggestion, kind: str, **details: object
) -> ActionOutcome:
    outcome = ActionOutcome.objects.create(
        customer_id=suggestion.customer_id,
        rule=suggestion.rule,
        kind=kind,
        score=suggestion.score,
        reason=suggestion.reason,
        data=suggestion.data,
        channel=suggestion.channel,
        staff=user,
        store_id=suggestion.customer.preferred_store_id,
        decided_at=timezone.now(),
        **details,
    )
    # The suggestion is done with; suppression keeps the batch from bringing it straight back.
    suggestion.delete()
    return outcome


def accept_handlers() -> list[Callable[[ActionOutcome], str | None]]:
    """The seam for follow-ups and outreach: ``settings.ACTIONS_ACCEPT_HANDLERS``.

    Each handler is a dotted path to ``handler(outcome) -> str | None``, called inside the
    accepting transaction (so a follow-up it creates commits or rolls back with the outcome).
    It may return the URL of the flow to open next (message composer, appointment booking); the
    first URL returned wins.
    """
    return [import_string(path) for path in getattr(settings, "ACTIONS_ACCEPT_HANDLERS", [])]


def action_accept(*, user: User, suggestion_id: int, note: str = "") -> AcceptResult:
    with transaction.atomic():
        suggestion = _claim_suggestion(user=user, suggestion_id=suggestion_id)
        outcome = _record_outcome(
            user=user, suggestion=suggestion, kind=OutcomeKind.ACCEPTED, note=note
        )
        next_url = None
        for handler in accept_handlers():
            url = handler(outcome)
            next_url = next_url or url
    return AcceptResult(outcome=outcome, next_url=next_url)


def action_snooze(
    *, user: User, suggestion_id: int, until: datetime, note: str = ""
) -> ActionOutcome:
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": gettext("Snooze until a moment in the future.")})
    if until > now + MAX_SNOOZE:
        raise ValidationError({"until": gettext("Snooze for at most 90 days; dismiss it instead.")})
    with transaction.atomic():
        suggestion = _claim_suggestion(user=user, suggestion_id=suggestion_id)
        return _record_outcome(
            user=user,
            suggestion=suggestion,
            kind=OutcomeKind.SNOOZED,
            snoozed_until=until,
            note=note,
        )


def action_dismiss(*, user: User, suggestion_id: int, reason: str, note: str = "") -> ActionOutcome:
    if reason not in DismissReason.values:
        raise ValidationError(
            {
                "reason": gettext("Choose one of: %(choices)s.")
                % {"choices": ", ".join(DismissReason.values)}
            }
        )
    if reason == DismissReason.OTHER and not note.strip():
        raise ValidationError(
            {"note": gettext("Say in a few words why, when the reason is 'other'.")}
        )
    with transaction.atomic():
        suggestion = _claim_suggestion(user=user, suggestion_id=suggestion_id)
        return _record_outcome(
            user=user,
            suggestion=suggestion,
            kind=OutcomeKind.DISMISSED,
            dismiss_reason=reason,
            note=note,
        )


# --- Refresh for one customer -----------------------------------------------------------


def actions_refresh_for_customer(*, customer_id: int, now: datetime | None = None) -> int:
    """Recompute one customer's suggestions now; returns how many they have."""
    return engine.recompute_range(
        first_id=customer_id, last_id=customer_id, now=now or timezone.now()
    )


def actions_refresh_for_customer_on_commit(*, customer_id: int) -> None:
    """Queue a refresh once the caller's transaction commits (the call other domains make)."""
    from frontline.actions.tasks import refresh_actions_for_customer_task

    # robust: a broker that is down must not turn the caller's committed change (a hold, a
    # sale) into an error; the nightly batch computes the customer's actions anyway.
    transaction.on_commit(lambda: refresh_actions_for_customer_task.delay(customer_id), robust=True)


def actions_refresh_for_customers(
    *, customer_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute a set of customers' suggestions now, set-based; returns how many they have."""
    return engine.recompute_customers(customer_ids=customer_ids, now=now or timezone.now())


def actions_refresh_for_customers_on_commit(*, customer_ids: Iterable[int]) -> None:
    """Queue one refresh of all these customers once the caller's transaction commits.

    One task for the set, however large: a page of 5,000 synced orders must not become 5,000
    tasks. The task works through the ids in chunks.
    """
    from frontline.actions.tasks import refresh_actions_for_customers_task

    ids = sorted(set(customer_ids))
    if not ids:
        return
    # Robust, as above: the landed records stay landed when the broker is down.
    transaction.on_commit(lambda: refresh_actions_for_customers_task.delay(ids), robust=True)


def actions_refresh_after_back_in_stock(*, watch: BackInStockWatch, stock: StockLevel) -> None:
    """The catalog's ``CATALOG_BACK_IN_STOCK_HOOKS`` entry: the action shows without waiting
    for the nightly batch."""
    actions_refresh_for_customer_on_commit(customer_id=watch.customer_id)


# --- The nightly batch ------------------------------------------------------------------


def _current_run(now: datetime, config: ActionSettings) -> ActionBatchRun | None:
    """The run in progress (resumed), or a new one; None when another worker just started one."""
    running = ActionBatchRun.objects.filter(status=BatchStatus.RUNNING).first()
    if running and now - running.started_at > STALE_RUN_AFTER:
        ActionBatchRun.objects.filter(pk=running.pk).update(
            status=BatchStatus.ABANDONED, finished_at=now
        )
        running = None
    if running:
        return running
    bounds = Customer.objects.aggregate(lowest=Min("id"), highest=Max("id"))
    try:
        with transaction.atomic():
            return ActionBatchRun.objects.create(
                as_of=now,
                # Chunks start at the lowest id: ids need not start at 1.
                last_customer_id=(bounds["lowest"] or 1) - 1,
                max_customer_id=bounds["highest"] or 0,
                chunk_size=config.batch_chunk_size,
                started_at=now,
            )
    except IntegrityError:  # another worker created the run an instant ago
        return None


def _advance_one_chunk(run_id: int, context: engine.BatchContext) -> ActionBatchRun:
    """Compute and store the next chunk and record progress, atomically."""
    with transaction.atomic():
        run = ActionBatchRun.objects.select_for_update().get(pk=run_id)
        if run.status != BatchStatus.RUNNING or run.last_customer_id >= run.max_customer_id:
            return run
        first_id = run.last_customer_id + 1
        last_id = min(run.last_customer_id + run.chunk_size, run.max_customer_id)
        chunk = engine.Chunk(first_id=first_id, last_id=last_id, context=context)
        written = engine.replace_chunk_suggestions(chunk, engine.suggestions_for_chunk(chunk))
        run.last_customer_id = last_id
        run.chunks_done += 1
        run.suggestions_written += written
        run.save(update_fields=["last_customer_id", "chunks_done", "suggestions_written"])
        return run


def actions_batch_run(
    *, now: datetime | None = None, max_seconds: float | None = None
) -> ActionBatchRun | None:
    """Recompute every customer's suggestions, chunk by chunk, resuming an unfinished run.

    Returns the run; its status is still ``running`` when ``max_seconds`` ran out first (the
    task then queues itself again and carries on from ``last_customer_id``).
    """
    started = time.monotonic()
    config = ActionSettings.load()
    run = _current_run(now or timezone.now(), config)
    if run is None:
        return None
    # Memoised lookups (this month's new arrivals) are shared by all the chunks done here.
    context = engine.BatchContext(now=run.as_of, config=config)
    while run.status == BatchStatus.RUNNING and run.last_customer_id < run.max_customer_id:
        run = _advance_one_chunk(run.pk, context)
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            logger.info("actions batch %s paused at customer %s", run.pk, run.last_customer_id)
            return run
    if run.status == BatchStatus.RUNNING:
        ActionBatchRun.objects.filter(pk=run.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.FINISHED, finished_at=timezone.now()
        )
        run.refresh_from_db()
    logger.info("actions batch %s finished: %s suggestions", run.pk, run.suggestions_written)
    return run
