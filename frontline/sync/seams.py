"""Where sync hands over to other domains. Each function is the one place the lead rewires.

Until the customers, inventory and notifications work is merged, these do the least that keeps
the information: uncertain matches are stored in ``UncertainMatch``; the rest is logged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontline.sync.models import Run, Source

logger = logging.getLogger("frontline.sync")


def uncertain_match_record(
    *, source: Source, external_id: str, customer_id: int, candidate_ids: list[int], reason: str
) -> None:
    """A record resembled existing customers without clearly being one of them.

    The lead will point this at the customers domain's merge review queue.
    """
    from frontline.sync.models import UncertainMatch

    UncertainMatch.objects.get_or_create(
        source=source,
        external_id=external_id,
        defaults={"customer_id": customer_id, "candidate_ids": candidate_ids, "reason": reason},
    )


def stock_became_available(*, pairs: list[tuple[int, int]]) -> None:
    """(variant_id, store_id) pairs whose available stock went from 0 to more than 0.

    Called after the stock page's transaction commits. The lead will point this at the
    inventory domain's back-in-stock service.
    """
    logger.info("stock became available", extra={"pairs": pairs[:50], "count": len(pairs)})


def run_failed(*, run: Run) -> None:
    """A sync run failed. The lead will point this at the notifications domain."""
    logger.error(
        "sync run failed",
        extra={"run": run.pk, "source": run.source.name, "entity": run.entity, "error": run.error},
    )


def run_progressed(*, run: Run) -> None:
    """A page landed (or the run finished): the seam for a live push to the run page.

    The run page polls with htmx today; a Channels push can hang here without touching the
    engine.
    """
