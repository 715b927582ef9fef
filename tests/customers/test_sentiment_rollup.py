"""The sentiment trend's monthly rollup stays equal to the interactions it sums up.

PostgreSQL keeps it with triggers (migration customers/0008), so these tests write
interactions the ways the code base does — one at a time, in bulk, set-wise UPDATEs such as
a merge's, deletions — and compare the rollup with the same figures computed afresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from frontline.customers.models import Interaction, Sentiment, SentimentMonth
from frontline.customers.sentiment import sentiment_backfill_run, sentiment_backfill_start
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="the rollup is kept by PostgreSQL triggers; elsewhere the trend is computed",
    ),
]
assert connection  # the skipif condition reads it

SENTIMENTS = [Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE]
SCORES = [0.8, None, -0.6, 0.25]


def recomputed(customer) -> list[tuple]:
    rows = (
        Interaction.objects.filter(customer=customer)
        .exclude(sentiment=Sentiment.UNKNOWN)  # counted in no share, as the trend shows it
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(
            positive=Count("pk", filter=Q(sentiment=Sentiment.POSITIVE)),
            neutral=Count("pk", filter=Q(sentiment=Sentiment.NEUTRAL)),
            negative=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)),
            score_sum=Sum("sentiment_score"),
            scored=Count("sentiment_score"),
        )
        .order_by("month")
    )
    return [
        (r["month"], r["positive"], r["neutral"], r["negative"], exact(r["score_sum"]), r["scored"])
        for r in rows
    ]


def rolled_up(customer) -> list[tuple]:
    rows = (
        SentimentMonth.objects.filter(customer=customer)
        .exclude(positive=0, neutral=0, negative=0)
        .order_by("month")
        .values_list("month", "positive", "neutral", "negative", "score_sum", "scored")
    )
    return [(*row[:4], exact(row[4]), row[5]) for row in rows]


def exact(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.0000000001"))


def history(customer, count: int, *, start: datetime) -> list[Interaction]:
    return Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel="store",
            kind="visit",
            sentiment=SENTIMENTS[i % 3],
            sentiment_score=SCORES[i % 4],
            occurred_at=start - timedelta(days=9 * i),
        )
        for i in range(count)
    )


def assert_in_step(*customers) -> None:
    for customer in customers:
        assert rolled_up(customer) == recomputed(customer) != []


def test_interactions_added_one_by_one_and_in_bulk_are_rolled_up_by_month():
    customer = CustomerFactory()
    history(customer, 40, start=datetime(2026, 11, 20, tzinfo=UTC))
    InteractionFactory(customer=customer, sentiment=Sentiment.NEGATIVE, sentiment_score=-1)
    assert_in_step(customer)
    assert len(rolled_up(customer)) > 10


def test_changes_moves_and_deletions_take_the_old_figures_off():
    kept, merged_away = CustomerFactory(), CustomerFactory()
    start = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # near a month's edge
    history(kept, 30, start=start)
    history(merged_away, 20, start=start)

    Interaction.objects.filter(customer=kept, sentiment=Sentiment.NEUTRAL).update(
        sentiment=Sentiment.POSITIVE, sentiment_score=0.5
    )
    moved = Interaction.objects.filter(customer=kept).order_by("occurred_at").first()
    moved.occurred_at += timedelta(hours=1)  # into the next month
    moved.save()
    assert_in_step(kept, merged_away)

    # What a merge does (and its undo does back): the interactions change customer.
    Interaction.objects.filter(customer=merged_away).update(customer=kept)
    assert rolled_up(merged_away) == recomputed(merged_away) == []
    assert_in_step(kept)

    Interaction.objects.filter(customer=kept, sentiment=Sentiment.NEGATIVE).delete()
    assert_in_step(kept)


def test_a_customer_deleted_with_their_history_leaves_no_rollup_behind():
    customer = CustomerFactory()
    history(customer, 5, start=datetime(2026, 11, 1, tzinfo=UTC))
    customer.delete()
    assert not SentimentMonth.objects.filter(customer_id=customer.pk).exists()


def test_unknown_counts_in_no_share_and_the_backfill_keeps_the_rollup_in_step():
    customer = CustomerFactory()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    history(customer, 12, start=start)
    # Only unknown interactions in a month: a zero row, which the trend leaves out.
    InteractionFactory(customer=customer, occurred_at=datetime(2025, 1, 5, tzinfo=UTC))
    texts = ["Absolutely love this shop", "Rude staff, awful experience", "Merci beaucoup", ""]
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer, channel="email", kind="message", source="crm",
            summary=text, sentiment=Sentiment.NEUTRAL, sentiment_score=0,
            occurred_at=start - timedelta(days=40 * i),
        )
        for i, text in enumerate(texts)
    )  # fmt: skip
    assert_in_step(customer)

    sentiment_backfill_run(backfill_id=sentiment_backfill_start().pk, size=5)

    assert_in_step(customer)
    assert Interaction.objects.filter(sentiment=Sentiment.UNKNOWN).count() > 2
    assert not any(month[0].year == 2025 for month in rolled_up(customer))
