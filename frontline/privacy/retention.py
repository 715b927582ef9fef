"""Retention: personal details are kept no longer than they are useful (GDPR art. 5(1)(e)).

Interactions older than ``settings.INTERACTION_RETENTION_DAYS`` keep what they were (kind,
channel, date, sentiment: timelines, counts and trends are unchanged) and lose their text.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from frontline.customers.services import interactions_details_remove


def interactions_retention_apply(
    *, retention_days: int, chunk_size: int = 1000, max_chunks: int = 200
) -> int:
    """Summarise interactions older than the retention period, chunk by chunk; returns how many.

    Each chunk commits on its own (see ``interactions_details_remove``), so a run that is
    stopped resumes where it left off; ``max_chunks`` bounds one run well inside the task
    time limit, and the next run goes on. ``retention_days`` of 0 keeps everything.
    """
    if retention_days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=retention_days)
    done = 0
    for _chunk in range(max_chunks):
        removed = interactions_details_remove(occurred_before=cutoff, limit=chunk_size)
        done += removed
        if removed < chunk_size:
            break
    return done
