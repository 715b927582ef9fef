"""NPS per store and associate, the detractors' recovery, and answers as training data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from frontline.followups.models import REACHED_OUTCOMES, Outcome, Status
from frontline.sentiment.learning import RatedText, recommend_label
from frontline.staff.models import Store, User
from frontline.surveys.models import Survey

# The NPS figures look back this far by default, as the team board's other figures do.
DEFAULT_PERIOD_DAYS = 30
# Two-sided 95 % normal quantile.
Z_95 = 1.96


@dataclass(frozen=True)
class Nps:
    """Promoters (9-10) minus detractors (0-6), in percent of the answers, with a 95 %
    confidence interval: NPS is the mean of a score that is +100, 0 or -100 per answer, so
    its standard error is sqrt((p + d - (p - d)^2) / n) with p, d the promoters' and
    detractors' shares (a normal approximation, wide and honest for few answers)."""

    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        if not self.answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers, 1)

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.answers:
            return None
        promoters, detractors = self.promoters / self.answers, self.detractors / self.answers
        variance = promoters + detractors - (promoters - detractors) ** 2
        margin = 100 * Z_95 * math.sqrt(max(variance, 0.0) / self.answers)
        centre = 100 * (promoters - detractors)
        return round(max(-100.0, centre - margin), 1), round(min(100.0, centre + margin), 1)


def _answered(store: Store, since: datetime) -> QuerySet[Survey]:
    return Survey.objects.filter(store=store, answered_at__gte=since)


def _figures() -> dict[str, Count]:
    return {
        "answers": Count("pk"),
        "promoters": Count("pk", filter=Q(score__gte=9)),
        "detractors": Count("pk", filter=Q(score__lte=6)),
    }


def _nps(row: Mapping[str, Any]) -> Nps:
    return Nps(
        answers=row["answers"],
        promoters=row["promoters"],
        passives=row["answers"] - row["promoters"] - row["detractors"],
        detractors=row["detractors"],
    )


def since_days(days: int = DEFAULT_PERIOD_DAYS, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def store_nps(*, store: Store, since: datetime) -> Nps:
    return _nps(_answered(store, since).aggregate(**_figures()))


@dataclass(frozen=True)
class AssociateNps:
    associate: User
    nps: Nps


def associates_nps(*, store: Store, since: datetime) -> list[AssociateNps]:
    """NPS of the answers about each associate's sales and sessions, most answers first;
    answers with nobody named (an online sale) count for the store only."""
    rows = list(
        _answered(store, since)
        .filter(associate__isnull=False)
        .values("associate_id")
        .annotate(**_figures())
    )
    people = User.objects.in_bulk([row["associate_id"] for row in rows])
    figures = [AssociateNps(people[row["associate_id"]], _nps(row)) for row in rows]
    return sorted(figures, key=lambda row: (-row.nps.answers, row.associate.get_username()))


@dataclass(frozen=True)
class DetractorRecovery:
    """What came of the detractors' answers: reached, and each outcome, in the period."""

    detractors: int
    with_followup: int
    open: int
    reached: int
    outcomes: dict[str, int] = field(default_factory=dict)


def detractor_recovery(*, store: Store, since: datetime) -> DetractorRecovery:
    detractors = _answered(store, since).filter(score__lte=6)
    counts = detractors.aggregate(
        detractors=Count("pk"),
        with_followup=Count("pk", filter=Q(recovery__isnull=False)),
        open=Count("pk", filter=Q(recovery__status__in=[Status.OPEN, Status.SNOOZED])),
        reached=Count("pk", filter=Q(recovery__outcome__in=REACHED_OUTCOMES)),
    )
    outcomes = {
        str(Outcome(row["recovery__outcome"]).label): row["count"]
        for row in detractors.filter(recovery__status=Status.DONE)
        .values("recovery__outcome")
        .annotate(count=Count("pk"))
        .order_by("-count")
    }
    return DetractorRecovery(**counts, outcomes=outcomes)


def survey_comments_rated() -> Iterator[RatedText]:
    """Answers with a comment, labelled by their own score: the learned model's training data."""
    answered = (
        Survey.objects.filter(answered_at__isnull=False, score__isnull=False)
        .exclude(comment="")
        .values_list("pk", "comment", "score")
        .order_by("pk")
    )
    for pk, comment, score in answered.iterator(chunk_size=2_000):
        yield RatedText(key=str(pk), text=comment, label=recommend_label(score or 0))
