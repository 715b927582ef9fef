"""Interactions' sentiment: scored as they are written or synced, and history in chunks.

The scoring itself is frontline.sentiment's; this module owns putting its labels on the
customers' interactions. On PostgreSQL the monthly rollup follows every write by its triggers
(migration 0008), so nothing here touches it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from frontline.customers.models import (
    Interaction,
    InteractionKind,
    Sentiment,
    SentimentBackfill,
    Source,
)
from frontline.sentiment.learning import RatedText, stars_label
from frontline.sentiment.scoring import Score, SentimentModel, texts_score
from frontline.sentiment.selectors import model_in_use

logger = logging.getLogger("frontline.customers")

# The interaction columns a score fills; sync compares them too, so a re-scored row is written.
SENTIMENT_COLUMNS = ("sentiment", "sentiment_score")
# Interactions scored and written per transaction by the backfill: big enough that the
# per-statement costs (the rollup trigger, the checkpoint) are small, small enough to commit
# every second or so.
BACKFILL_CHUNK = 2_000


# Events Frontline records in its own words (a check-in, a hold placed): nothing the customer
# said, so never scored ("Checked in at Happy Valley" is not a happy customer).
OWN_WORDS_KINDS = frozenset({InteractionKind.VISIT, InteractionKind.NOTE})


def customer_words(*, source: str, kind: str, summary: str | None) -> str | None:
    """What of an interaction is the customer's (or their contact's) words, to be scored."""
    if source == Source.FRONTLINE and kind in OWN_WORDS_KINDS:
        return None
    return summary


def _fields(score: Score) -> dict[str, Any]:
    return {"sentiment": score.label, "sentiment_score": score.score}


def interaction_sentiment_fields(*, summary: str | None) -> dict[str, Any]:
    """``sentiment`` and ``sentiment_score`` for an interaction with this summary."""
    return interactions_sentiment_fields(summaries=[summary])[0]


def interactions_sentiment_fields(
    *, summaries: Sequence[str | None], model: SentimentModel | None = None
) -> list[dict[str, Any]]:
    """The same for a batch (a sync page): one model, one pass."""
    model = model or model_in_use()
    return [_fields(score) for score in texts_score(texts=summaries, model=model)]


def interaction_rows_score(rows: list[dict[str, Any]]) -> None:
    """Add the sentiment columns to rows about to be landed, scored from their summaries."""
    scored = interactions_sentiment_fields(
        summaries=[
            customer_words(source=row["source"], kind=row["kind"], summary=row.get("summary"))
            for row in rows
        ]
    )
    for row, fields in zip(rows, scored, strict=True):
        row.update(fields)


def reviews_rated() -> Iterator[RatedText]:
    """Synced product reviews with words, labelled by their own stars (1-2, 3, 4-5): training
    data for the learned model. Keyed by source and the review's id, so a review keeps its side
    of the held-out split however often it is re-imported."""
    reviews = (
        Interaction.objects.filter(kind=InteractionKind.REVIEW, rating__isnull=False)
        .exclude(summary="")
        .exclude(external_id=None)
        .values_list("source", "external_id", "summary", "rating")
        .order_by("pk")
    )
    for source, external_id, summary, rating in reviews.iterator(chunk_size=2_000):
        yield RatedText(key=f"{source}:{external_id}", text=summary, label=stars_label(rating or 0))


# --- Backfill of the history -------------------------------------------------------------


def sentiment_backfill_start(
    *, model: SentimentModel | None = None, restart: bool = False
) -> SentimentBackfill:
    """The backfill of ``model`` (the one in use), created on first use; ``restart`` rewinds it.

    Calling it again is harmless: it returns the checkpoint as it stands.
    """
    name = (model or model_in_use()).name
    with transaction.atomic():
        backfill, created = SentimentBackfill.objects.select_for_update().get_or_create(model=name)
        if created or restart:
            backfill.last_interaction_id = 0
            backfill.scored = backfill.unknown = 0
            backfill.finished_at = None
            figures = Interaction.objects.aggregate(top=Max("pk"), total=Count("pk"))
            backfill.target_interaction_id = figures["top"] or 0
            backfill.total = figures["total"]
            backfill.save()
    return backfill


def sentiment_backfill_chunk(
    *, backfill_id: int, size: int = BACKFILL_CHUNK, model: SentimentModel | None = None
) -> SentimentBackfill:
    """Score the next ``size`` interactions after the checkpoint and move it, in one transaction.

    The checkpoint row is locked first, so two workers never score the same chunk: the second
    waits and then carries on after the first. Idempotent: rows whose label and score are
    already right are not written again.
    """
    model = model or model_in_use()
    with transaction.atomic():
        backfill = SentimentBackfill.objects.select_for_update().get(pk=backfill_id)
        if backfill.finished_at:
            return backfill
        if backfill.model != model.name:
            # Another model was put in use since this backfill started: its own backfill
            # scores the history again, and this one stops rather than mix two models' labels.
            backfill.finished_at = timezone.now()
            backfill.save(update_fields=["finished_at", "updated_at"])
            return backfill
        chunk = list(
            # History only: what is written after the start is scored by its writer, and a
            # busy sync never keeps the backfill chasing new rows.
            Interaction.objects.filter(
                pk__gt=backfill.last_interaction_id, pk__lte=backfill.target_interaction_id
            )
            .order_by("pk")
            .values_list("pk", "source", "kind", "summary", *SENTIMENT_COLUMNS)[:size]
        )
        if not chunk:
            backfill.finished_at = timezone.now()
            backfill.save(update_fields=["finished_at", "updated_at"])
            return backfill
        texts = [
            customer_words(source=source, kind=kind, summary=summary)
            for _, source, kind, summary, _, _ in chunk
        ]
        scores = texts_score(texts=texts, model=model)
        changed = [
            (row[0], score.label, score.score)
            for row, score in zip(chunk, scores, strict=True)
            if (row[4], row[5]) != (score.label, score.score)
        ]
        _interactions_sentiment_write(changed)
        backfill.last_interaction_id = chunk[-1][0]
        backfill.unknown += sum(score.label == Sentiment.UNKNOWN for score in scores)
        backfill.scored += sum(score.label != Sentiment.UNKNOWN for score in scores)
        backfill.save()
    logger.info(
        "Sentiment backfill %s: %s%% (%s of %s, up to id %s), %s scored, %s unknown",
        backfill.model, backfill.percent_done, backfill.scored + backfill.unknown,
        backfill.total, backfill.last_interaction_id, backfill.scored, backfill.unknown,
    )  # fmt: skip
    return backfill


def _interactions_sentiment_write(changed: list[tuple[int, str, float | None]]) -> None:
    if not changed:
        return
    if connection.vendor == "postgresql":
        # One statement for the chunk: the rollup trigger runs once over it, set-wise.
        ids, labels, values = zip(*changed, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_interaction AS interaction "
                "SET sentiment = scored.label, sentiment_score = scored.value "
                "FROM unnest(%s::bigint[], %s::varchar[], %s::float8[]) "
                "AS scored(id, label, value) WHERE interaction.id = scored.id",
                [list(ids), list(labels), list(values)],
            )
        return
    Interaction.objects.bulk_update(
        [
            Interaction(pk=pk, sentiment=label, sentiment_score=value)
            for pk, label, value in changed
        ],
        list(SENTIMENT_COLUMNS),
    )


def sentiment_backfill_run(
    *,
    backfill_id: int,
    seconds: float | None = None,
    size: int = BACKFILL_CHUNK,
    on_chunk: Callable[[SentimentBackfill], None] | None = None,
) -> SentimentBackfill:
    """Score chunks until the history is done or ``seconds`` have passed (then call again).

    A worker's task runs for a bounded time and queues its successor, so no single task
    comes near the time limits or the broker's visibility timeout, whatever the history's size.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        backfill = sentiment_backfill_chunk(backfill_id=backfill_id, size=size)
        if on_chunk:
            on_chunk(backfill)
        if backfill.finished_at or (deadline is not None and time.monotonic() >= deadline):
            return backfill
